"""Request bodies drawn from the real shared data, for load tests: ``python -m loadtests.sample``.

Writes ``loadtests/results/requests.jsonl`` (git-ignored; the data stays in ../shared): accounts with
200 posts (IRA and Cresci 2015 timelines), small accounts (kaggle 2017 profiles with their status),
and profile-only copies.
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import orjson

from model.training import datasets

OUT = Path(__file__).resolve().parent / "results" / "requests.jsonl"


def build(out: Path = OUT, n_each: int = 200, seed: int = 5) -> Path:
    """Writes the sample and returns its path."""
    root = datasets.data_dir()
    rng = random.Random(seed)
    long = [r for r in itertools.islice(datasets.load_cresci2015(root), 3000) if len(r.request["posts"]) >= 200]
    rng.shuffle(long)
    small = list(datasets.load_kaggle2017(root))
    rng.shuffle(small)
    rows = []
    for record in long[:n_each]:
        rows.append({"kind": "long", "body": dict(record.request, posts=record.request["posts"][-200:])})
    for record in small[:n_each]:
        rows.append({"kind": "small", "body": record.request})
        rows.append(
            {
                "kind": "profile",
                "body": {
                    **record.request,
                    "posts": [],
                    "observed_at": record.request.get("observed_at", "2017-03-31T00:00:00Z"),
                },
            }
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return out


def load() -> dict[str, list[bytes]]:
    """Serialised bodies by kind (long, small, profile), building the sample first if needed."""
    if not OUT.exists():
        build()
    kinds: dict[str, list[bytes]] = {}
    for line in OUT.read_bytes().splitlines():
        row = orjson.loads(line)
        kinds.setdefault(row["kind"], []).append(orjson.dumps(row["body"]))
    return kinds


if __name__ == "__main__":
    path = build()
    print(f"wrote {path}", file=sys.stderr)
