"""``botlens keys``: mint API keys (printed once; only the salted hash is stored) and revoke them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from store.keys import SCOPES, KeyStore, mint


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Registers ``keys mint`` and ``keys revoke`` on the ``botlens`` parser."""
    keys = sub.add_parser("keys", help="mint or revoke API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    m = actions.add_parser("mint", help="create a key (printed once)")
    m.add_argument("--name", required=True)
    m.add_argument("--quota", type=int, default=600, help="accounts scored per minute")
    m.add_argument(
        "--scope", action="append", choices=SCOPES, default=[], help="extra power (admin: delete stored data)"
    )
    m.add_argument("--file", type=Path, help="keys file to append the record to (else the record is printed)")
    r = actions.add_parser("revoke", help="revoke a key by id")
    r.add_argument("--id", required=True)
    r.add_argument("--file", type=Path, required=True)


def run(args: argparse.Namespace) -> int:
    """Carries out ``keys mint`` or ``keys revoke``."""
    if args.action == "mint":
        key, record = mint(args.name, args.quota, args.scope)
        stored = KeyStore([record]).records()[0]
        if args.file:
            records = json.loads(args.file.read_text()) if args.file.exists() else []
            records.append(stored)
            args.file.write_text(json.dumps(records, indent=1) + "\n")
            print(f"stored key {record.id} ({record.name}) in {args.file}", file=sys.stderr)
        else:
            print(json.dumps(stored), file=sys.stderr)
        print(key)
        return 0
    records = json.loads(args.file.read_text())
    found = [r for r in records if r["id"] == args.id]
    if not found:
        print(f"no key {args.id} in {args.file}", file=sys.stderr)
        return 1
    for record in found:
        record["revoked"] = True
    args.file.write_text(json.dumps(records, indent=1) + "\n")
    print(f"revoked {args.id}", file=sys.stderr)
    return 0
