"""``python -m cli``: the same as the ``botlens`` command."""

from cli import main

raise SystemExit(main())
