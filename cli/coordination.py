"""``botlens coordination accounts.jsonl -o groups.json``: coordinated groups in a file, streamed.

Each line is read, validated and reduced to its shared actions, then dropped: memory holds the
action table, not the bodies. The result has the route's shape: a slot per line (a problem object,
with its line number, for a line that fails) and the groups.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from model.coordination import Settings, coordinate
from model.errors import MalformedInputError
from model.pipeline import collect_actions, coordination_response
from model.platforms import FORMATS
from model.problems import problem_for
from model.validation import Validator


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Registers ``coordination`` on the ``botlens`` parser."""
    defaults = Settings()
    parser = sub.add_parser("coordination", help="find coordinated groups in a JSONL or Parquet file")
    parser.add_argument("input", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSON: accounts and groups")
    parser.add_argument("--format", default="native", choices=FORMATS)
    parser.add_argument("--window", type=float, default=defaults.window_seconds, help="seconds")
    parser.add_argument("--min-group-size", type=int, default=defaults.min_group_size)
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace, reader: Any) -> int:
    """Streams the records, finds the groups and writes them; prints counts and time."""
    from tqdm import tqdm

    started = time.time()
    lines: list[int] = []
    with tqdm(unit=" accounts", disable=True if args.no_progress else None, file=sys.stderr) as bar:

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
    args.output.write_bytes(orjson.dumps(coordination_response(collected, found)))
    failed = len(collected.slots) - len(ids)
    print(
        f"{len(ids)} accounts, {failed} failed, {len(found.groups)} groups, in {time.time() - started:.1f}s",
        file=sys.stderr,
    )
    return 0 if ids or not failed else 1
