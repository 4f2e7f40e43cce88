"""The files the ``botlens`` commands read and write, with one convention for all of them.

Inputs are JSON lines (one request per line; blank lines skipped) or Parquet; outputs are named by their
suffix, and a suffix a command cannot write is refused before any work. Records that fail go to an
errors file beside the output (``<output>.errors.jsonl``, ``{"line", "problem"}`` per record, in line
order), removed when nothing failed. Problems with the command line itself are one-line errors with
exit code 2 (:class:`UsageError`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

INPUT_SUFFIXES = (".jsonl", ".ndjson", ".json", ".parquet")
READ_BLOCK = 1 << 20


class UsageError(Exception):
    """A command line that cannot be carried out (a missing file, an unwritable format): exit code 2."""


class Malformed:
    """A line that is not JSON: it gets its own problem in the errors file."""

    def __init__(self, message: str) -> None:
        self.message = message


def check_input(path: Path) -> None:
    """Refuses an input that does not exist or whose format cannot be read here.

    Raises:
        UsageError: it is missing, a folder, or Parquet without pyarrow.
    """
    if not path.exists():
        raise UsageError(f"no such input file: {path}")
    if not path.is_file():
        raise UsageError(f"the input is not a file: {path}")
    if path.suffix == ".parquet":
        needs_pyarrow("reading Parquet")


def check_output(path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuses an output whose suffix the command cannot write, or whose folder does not exist.

    Raises:
        UsageError: the suffix is not one of ``suffixes``, Parquet needs pyarrow, or the folder is missing.
    """
    if path.suffix not in suffixes:
        raise UsageError(f"cannot write {path.name}: the output must end in {' or '.join(suffixes)}")
    if path.suffix == ".parquet":
        needs_pyarrow("writing Parquet")
    if not path.parent.exists():
        raise UsageError(f"the output's folder does not exist: {path.parent}")


def needs_pyarrow(what: str) -> None:
    """Raises UsageError when pyarrow is not installed."""
    if importlib.util.find_spec("pyarrow") is None:
        raise UsageError(f"{what} needs pyarrow: pip install 'botlens[parquet]'")


def errors_path(output: Path, given: Path | None) -> Path:
    """The errors file: the one given, else ``<output>.errors.jsonl``."""
    return given or output.with_name(output.name + ".errors.jsonl")


def count(path: Path) -> int:
    """How many records the input holds (non-blank lines, or Parquet rows), for a progress total."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with open(path, "rb", buffering=READ_BLOCK) as handle:
        return sum(1 for line in handle if line.strip())


def read(path: Path, chunk: int = 256) -> Iterator[tuple[int, Any]]:
    """(line or row number from 1, parsed record or :class:`Malformed`) for each record of the input."""
    return _read_parquet(path, chunk) if path.suffix == ".parquet" else _read_jsonl(path)


def _read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, Malformed(f"The record is not valid JSON (it breaks off at character {exc.pos + 1}).")


def _read_parquet(path: Path, chunk: int) -> Iterator[tuple[int, Any]]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk):
        for row in batch.to_pylist():
            number += 1
            yield number, {k: v for k, v in row.items() if v is not None}


def write_error(handle: IO[bytes], line: int, problem: dict[str, Any]) -> None:
    """One record of an errors file."""
    handle.write(orjson.dumps({"line": line, "problem": problem}) + b"\n")


def plural(n: int, word: str) -> str:
    """``1 group``, ``2 groups``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
