"""``botlens coordination accounts.jsonl -o groups.json``: coordinated groups in a file, streamed.

Each line is read, validated and reduced to its shared actions, then dropped: memory holds the
action table, not the bodies. The output has the route's shape for the accounts that were read (each
slot with its input ``line``) and the groups; records that fail go to the errors file, as with
``botlens score`` (``cli.files``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from cli import files
from model.coordination import Settings, coordinate
from model.errors import MalformedInputError
from model.pipeline import collect_actions, coordination_response
from model.platforms import FORMATS
from model.problems import problem_for
from model.validation import Validator

# What it writes: one JSON document (accounts and groups).
OUTPUT_SUFFIXES = (".json",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Registers ``coordination`` on the ``botlens`` parser."""
    defaults = Settings()
    parser = sub.add_parser("coordination", help="find coordinated groups in a JSONL or Parquet file")
    parser.add_argument("input", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSON: accounts and groups")
    parser.add_argument("--errors", type=Path, default=None, help="records that failed (default <output>.errors.jsonl)")
    parser.add_argument("--format", default="native", choices=FORMATS)
    parser.add_argument("--window", type=float, default=defaults.window_seconds, help="seconds")
    parser.add_argument("--min-group-size", type=int, default=defaults.min_group_size)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace, reader: Any) -> int:
    """Streams the records, finds the groups and writes them; prints counts and time."""
    from tqdm import tqdm

    started = time.time()
    lines: list[int] = []
    total = None if args.no_progress or not sys.stderr.isatty() else files.count(args.input)
    with tqdm(total=total, unit=" accounts", disable=True if args.no_progress else None, file=sys.stderr) as bar:

        def bodies() -> Iterator[Any]:
            for number, raw in reader:
                lines.append(number)
                bar.update(1)
                yield MalformedInputError(raw.message) if hasattr(raw, "message") else raw

        collected = collect_actions(
            Validator.build(),
            args.format,
            bodies(),
            time.time(),
            problem=lambda exc, index: {**problem_for(exc), "line": lines[index]},
        )
    table = collected.actions.table()
    ids = collected.ids
    print(f"{len(ids)} accounts, {table.t.size} shared actions; finding groups", file=sys.stderr)
    steps = tqdm(total=4, unit=" steps", disable=True if args.no_progress else None, file=sys.stderr)

    def step(name: str) -> None:
        steps.set_description(name)
        steps.update(1)

    found = coordinate(table, Settings(window_seconds=args.window, min_group_size=args.min_group_size), step)
    steps.close()
    response = coordination_response(collected, found)
    errors = files.errors_path(args.output, args.errors)
    read: list[Any] = []
    with open(errors, "wb") as handle:
        for position, slot in enumerate(response["accounts"]):
            if "coordination" in slot:
                read.append({"line": lines[position], **slot})
            else:
                files.write_error(handle, lines[position], {k: v for k, v in slot.items() if k != "line"})
    failed = len(response["accounts"]) - len(read)
    if not failed:
        errors.unlink()
    args.output.write_bytes(orjson.dumps({**response, "accounts": read}))
    pointer = f" (see {errors})" if failed else ""
    print(
        f"{files.plural(len(ids), 'account')}, {failed} failed{pointer}, {files.plural(len(found.groups), 'group')}, "
        f"in {time.time() - started:.1f}s",
        file=sys.stderr,
    )
    return 0 if ids or not failed else 1
