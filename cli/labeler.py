"""``botlens labeler``: the Bluesky labeler's key, its declaration, and a full sync of its labels.

botlens labeler keygen --key labeler.pem
botlens labeler declaration --did did:plc:... --url https://labeler.example --key labeler.pem
botlens labeler sync        # BOTLENS_LABELER_DID, BOTLENS_LABELER_KEY_FILE and the store's settings
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from model.errors import StoreUnavailable
from model.labeling import LabelSigner, declaration
from store import Store, labels
from store.settings import ENV_PREFIX, StoreSettings

SYNC_BATCH = 500


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Registers ``labeler`` on the ``botlens`` parser."""
    parser = sub.add_parser("labeler", help="the Bluesky labeler: its key, its declaration, a full label sync")
    actions = parser.add_subparsers(dest="action", required=True)
    keygen = actions.add_parser("keygen", help="write a new secp256k1 signing key (PEM, owner-only)")
    keygen.add_argument("--key", type=Path, required=True)
    keygen.add_argument("--force", action="store_true", help="replace an existing key file")
    declare = actions.add_parser("declaration", help="print the labeler's service record and DID document parts")
    declare.add_argument("--did", default=os.environ.get(ENV_PREFIX + "LABELER_DID"))
    declare.add_argument("--url", default=os.environ.get(ENV_PREFIX + "LABELER_URL"), help="its public endpoint")
    declare.add_argument("--key", type=Path, default=os.environ.get(ENV_PREFIX + "LABELER_KEY_FILE"))
    sync = actions.add_parser("sync", help="publish every label change the store holds (after an outage, say)")
    sync.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    """Carries out a ``labeler`` action."""
    if args.action == "keygen":
        if args.key.exists() and not args.force:
            print(f"error: {args.key} exists (--force replaces it)", file=sys.stderr)
            return 2
        signer = LabelSigner.generate()
        signer.save(args.key)
        print(signer.did_key())
        return 0
    key = args.key if args.action == "declaration" else os.environ.get(ENV_PREFIX + "LABELER_KEY_FILE")
    did = args.did if args.action == "declaration" else os.environ.get(ENV_PREFIX + "LABELER_DID")
    if not did or not key:
        print("error: the labeler's DID and key are needed (--did/--key or BOTLENS_LABELER_*)", file=sys.stderr)
        return 2
    try:
        signer = LabelSigner.load(Path(key))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.action == "declaration":
        if not args.url:
            print("error: the labeler's public URL is needed (--url or BOTLENS_LABELER_URL)", file=sys.stderr)
            return 2
        print(json.dumps(declaration(did, args.url, signer), indent=2))
        return 0
    return _sync(labels.Labeler(did, signer.sign), progress=not args.no_progress)


def _sync(labeler: labels.Labeler, progress: bool) -> int:
    from tqdm import tqdm

    store = Store(StoreSettings.from_environ().database_url())
    try:
        store.migrate()
        accounts = labels.accounts(store)
        published = 0
        with tqdm(total=len(accounts), unit=" accounts", disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(accounts), SYNC_BATCH):
                part = accounts[start : start + SYNC_BATCH]
                published += len(labels.sync(store, labeler, part, time.time()))
                bar.update(len(part))
        print(f"{len(accounts)} accounts checked, {published} labels published", file=sys.stderr)
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    return 0
