"""Account-integrity model: records, features, training and scoring (no web framework here)."""
