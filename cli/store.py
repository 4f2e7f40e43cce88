"""``botlens store`` (migrate, prune, count) and ``botlens feedback export``: the score store from the shell.

They read the store's settings from the service's variables (``store.settings``), so they act on the
store the service writes: ``BOTLENS_STORE_URL`` or the SQLite file in ``BOTLENS_STORE_DIR``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from model.errors import StoreUnavailable
from store import Store
from store.settings import StoreSettings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Registers ``store`` and ``feedback`` on the ``botlens`` parser."""
    store = sub.add_parser("store", help="the score store: migrate, prune old results, count")
    actions = store.add_subparsers(dest="action", required=True)
    actions.add_parser("migrate", help="bring the schema to the newest revision (the service does it at start)")
    prune = actions.add_parser("prune", help="delete results older than the retention period")
    prune.add_argument("--days", type=float, default=None, help="default BOTLENS_STORE_RETENTION_DAYS")
    actions.add_parser("count", help="print how many results are stored")
    feedback = sub.add_parser("feedback", help="analysts' feedback")
    fb = feedback.add_subparsers(dest="action", required=True)
    export = fb.add_parser("export", help="write every feedback record as JSON lines (for retraining)")
    export.add_argument("-o", "--output", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    """Carries out a ``store`` or ``feedback`` action."""
    settings = StoreSettings.from_environ()
    store = Store(settings.database_url())
    try:
        store.migrate()
        if args.command == "feedback":
            count = 0
            with open(args.output, "wb") as out:
                for record in store.feedback():
                    out.write(orjson.dumps(record) + b"\n")
                    count += 1
            print(f"exported {count} feedback records to {args.output}", file=sys.stderr)
        elif args.action == "prune":
            days = float(args.days if args.days is not None else settings.retention_days)
            if days <= 0:
                print(
                    "no retention period set (--days or BOTLENS_STORE_RETENTION_DAYS): nothing pruned", file=sys.stderr
                )
                return 2
            print(f"deleted {store.prune(days, time.time())} results older than {days:g} days", file=sys.stderr)
        elif args.action == "count":
            print(store.count())
        else:
            print("the score store is at the newest revision", file=sys.stderr)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    return 0
