"""The ``botlens`` command: ``serve``, ``score``, ``coordination``, ``keys``, ``labeler``, ``train``, ``store``,
``feedback``.

``botlens score accounts.jsonl -o scores.jsonl`` reads one request per line (or Parquet rows with
``account``/``posts``/``observed_at`` columns), scores them in chunks through the same validation
and scoring path as the API, and streams results out, so memory stays flat whatever the file size.
Records that fail validation go, with their line number and problem, to an errors file; nothing
is dropped silently and the counts are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from cli import coordination as coordination_cli
from cli import files, keys
from cli import labeler as labeler_cli
from cli import store as store_cli
from model.pipeline import score_slots
from model.platforms import FORMATS
from model.problems import problem, problem_for
from model.results import FLAT_COLUMNS, flat
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, DEFAULT_PUBLIC_KEY, Scorer
from model.validation import Validator

CHUNK = 256
# What `botlens score` writes: result objects as JSON lines, or flat rows (model.results.FLAT_COLUMNS).
OUTPUT_SUFFIXES = (".jsonl", ".parquet")
# How `botlens serve` starts the service: gunicorn with the settings module inside the package.
SERVER_SETTINGS = "python:api.server"
APP = "api.app:create_app()"


def _arrow_schema() -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "long": pa.int64(), "double": pa.float64(), "array<string>": pa.list_(pa.string())}
    return pa.schema([(name, types[kind]) for name, kind in FLAT_COLUMNS])


class _Writer:
    def __init__(self, path: Path) -> None:
        self.parquet = path.suffix == ".parquet"
        self.path = path
        self._pq_writer: Any = None
        self._handle: Any = None if self.parquet else open(path, "wb")

    def write(self, results: list[tuple[int, dict[str, Any]]]) -> None:
        """Writes (input line, result) pairs: JSON lines hold the result objects, Parquet rows the line too."""
        if not results:
            return
        if not self.parquet:
            self._handle.write(b"".join(orjson.dumps(r) + b"\n" for _, r in results))
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([flat(r, line=n) for n, r in results], schema=_arrow_schema())
        if self._pq_writer is None:
            self._pq_writer = pq.ParquetWriter(self.path, table.schema)
        self._pq_writer.write_table(table)

    def close(self) -> None:
        if self._handle:
            self._handle.close()
        if self._pq_writer:
            self._pq_writer.close()
        # A Parquet output with no scored record is not written: there is no schema to give it.


def score_file(
    source: Path,
    output: Path,
    errors: Path,
    fmt: str = "native",
    artifact: Path = DEFAULT_ARTIFACT,
    card: Path = DEFAULT_CARD,
    progress: bool | None = None,
    public_key: Path = DEFAULT_PUBLIC_KEY,
    store_url: str | None = None,
) -> tuple[int, int]:
    """Scores every record of ``source`` into ``output``; failures go to ``errors``.

    Args:
        store_url: Also keep each result in this score store, as the service does (lookups find them).

    Returns:
        (records scored, records failed).

    Raises:
        StoreUnavailable: the store cannot be reached or written (what was scored is in ``output``).
    """
    from tqdm import tqdm

    store = None
    if store_url is not None:
        from store import Store
        from store.rows import result_row

        store = Store(store_url)
        store.migrate()

    def keep(items: list[Any], results: list[dict[str, Any]]) -> None:
        if store is not None:
            scored_at = time.time()
            store.write([result_row(item.account.screen_name, body, scored_at) for item, body in zip(items, results)])

    scorer = Scorer.load(artifact, card, public_key=public_key)
    validator = Validator.build()
    reader = files.read(source, CHUNK)
    show = None if progress is None else progress
    # The total (a quick count of the input) gives the progress bar its share done and an ETA.
    total = files.count(source) if show is not False and (show or sys.stderr.isatty()) else None
    writer = _Writer(output)
    scored = failed = 0
    with (
        open(errors, "wb") as error_file,
        tqdm(total=total, unit=" accounts", disable=(None if show is None else not show), file=sys.stderr) as bar,
    ):
        chunk: list[tuple[int, Any]] = []

        def flush() -> None:
            nonlocal scored, failed
            good = [(n, raw) for n, raw in chunk if not isinstance(raw, files.Malformed)]
            refused = [
                (n, problem(400, "malformed-json", "Malformed JSON", raw.message))
                for n, raw in chunk
                if isinstance(raw, files.Malformed)
            ]
            slots = score_slots(
                scorer,
                validator,
                fmt,
                [raw for _, raw in good],
                time.time(),
                top_k=5,
                problem=lambda exc, _index: problem_for(exc),
                on_results=keep,
            )
            results = []
            for (n, _), slot in zip(good, slots):
                if "scores" in slot:
                    results.append((n, slot))
                else:
                    refused.append((n, slot))
            # In line order, whichever way each record failed.
            for n, body in sorted(refused, key=lambda pair: pair[0]):
                files.write_error(error_file, n, body)
            failed += len(refused)
            writer.write(results)
            scored += len(results)
            bar.update(len(chunk))
            chunk.clear()

        for number, raw in reader:
            chunk.append((number, raw))
            if len(chunk) >= CHUNK:
                flush()
        flush()
    writer.close()
    if not failed:
        errors.unlink()  # No failures: no errors file to point at (nor a stale one from an earlier run).
    return scored, failed


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``botlens`` console script."""
    parser = argparse.ArgumentParser(prog="botlens", description="Account-integrity scoring.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service under gunicorn (api.server)")
    serve.add_argument("--bind", default=None, help="host:port (default 127.0.0.1:8000)")
    serve.add_argument("--workers", type=int, default=None)
    score = sub.add_parser("score", help="score a JSONL or Parquet file offline")
    score.add_argument("input", type=Path)
    score.add_argument("-o", "--output", type=Path, required=True, help=".jsonl or .parquet")
    score.add_argument("--errors", type=Path, default=None, help="records that failed (default <output>.errors.jsonl)")
    score.add_argument("--no-progress", action="store_true", help="no progress bar (it shows on a terminal)")
    score.add_argument("--format", default="native", choices=FORMATS)
    score.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT)
    score.add_argument("--card", type=Path, default=DEFAULT_CARD)
    score.add_argument("--public-key", type=Path, default=DEFAULT_PUBLIC_KEY, help="key the card is signed for")
    score.add_argument(
        "--store",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="also keep the results in a score store, as the service does: this database URL, or with no URL the "
        "store the service of this directory uses (BOTLENS_STORE_URL / BOTLENS_STORE_DIR)",
    )
    train = sub.add_parser("train", help="train on the shared data (python -m model.training.train)")
    train.add_argument("args", nargs=argparse.REMAINDER)
    keys.add_parser(sub)
    store_cli.add_parsers(sub)
    coordination_cli.add_parser(sub)
    labeler_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except files.UsageError as exc:
        print(f"botlens {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:

    if args.command == "serve":
        if args.bind:
            os.environ["BOTLENS_BIND"] = args.bind
        if args.workers:
            os.environ["BOTLENS_WORKERS"] = str(args.workers)
        # gunicorn as a module of this interpreter: found wherever the package is installed.
        os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", SERVER_SETTINGS, APP])
    if args.command == "train":
        # Training's dependencies (pandas, scikit-learn) load only for this command.
        from model.training.train import main as train_main

        return train_main(args.args)
    if args.command == "keys":
        return keys.run(args)
    if args.command == "labeler":
        return labeler_cli.run(args)
    if args.command in ("store", "feedback"):
        return store_cli.run(args)
    if args.command == "coordination":
        files.check_input(args.input)
        files.check_output(args.output, coordination_cli.OUTPUT_SUFFIXES)
        return coordination_cli.run(args, files.read(args.input, CHUNK))
    files.check_input(args.input)
    files.check_output(args.output, OUTPUT_SUFFIXES)
    errors = files.errors_path(args.output, args.errors)
    started = time.time()
    store_url = None
    if args.store is not None:
        from store.settings import StoreSettings

        store_url = args.store or StoreSettings.from_environ().database_url()
    scored, failed = score_file(
        args.input,
        args.output,
        errors,
        args.format,
        args.model,
        args.card,
        public_key=args.public_key,
        store_url=store_url,
        progress=False if args.no_progress else None,
    )
    pointer = f" (see {errors})" if failed else ""
    print(f"scored {scored}, failed {failed}{pointer}, in {time.time() - started:.1f}s", file=sys.stderr)
    return 0 if scored or not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
