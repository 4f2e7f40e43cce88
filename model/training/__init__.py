"""Training and evaluation: the shared data's adapters, examples, fitting, evaluation and baselines.

Nothing in the serving core imports this package (an import-linter contract in ``pyproject.toml``
keeps it so); it reads the serving core's declarations (contract, features, heads) and writes the
artifact the service loads.
"""
