"""A large synthetic batch for the coordination scale figure: ``python -m loadtests.coordination_sample``.

Ordinary accounts post their own texts at their own times over 90 days, with hashtags, links and
reposts drawn from popular pools (Zipf: a few are everywhere); one account in twenty belongs to a
ring of 20 to 200 accounts that reposts its operator's posts within a minute and pushes campaign
hashtags. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

START = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
SPAN = 90 * 86400
WORDS = [f"w{i}" for i in range(5000)]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path: Path, accounts: int, posts: int, seed: int = 0) -> None:
    """Writes ``accounts`` JSON lines of ``posts`` posts each."""
    rng = np.random.default_rng(seed)
    ring_of = np.full(accounts, -1)
    members = rng.choice(accounts, size=accounts // 20, replace=False)
    start = 0
    ring = 0
    while start < members.size:
        size = int(rng.integers(20, 201))
        ring_of[members[start : start + size]] = ring
        start += size
        ring += 1
    ring_times = {r: np.sort(START + rng.uniform(0, SPAN, size=posts // 2)) for r in range(ring)}
    with open(path, "wb") as out:
        for index in range(accounts):
            times = START + rng.uniform(0, SPAN, size=posts)
            words = rng.integers(0, len(WORDS), size=(posts, 8))
            kinds = rng.random(posts)
            tags = np.minimum(rng.zipf(1.6, size=posts), 20000)
            popular = np.minimum(rng.zipf(1.4, size=posts), 50000)
            rows: list[dict[str, Any]] = []
            r = ring_of[index]
            for k in range(posts):
                if r >= 0 and k < posts // 2:
                    rows.append(
                        {
                            "created_at": _stamp(ring_times[r][k] + rng.uniform(0, 60)),
                            "retweet_of": {"id": f"op{r}-{k}", "author": f"operator{r}"},
                        }
                    )
                    continue
                if kinds[k] < 0.3:
                    rows.append({"created_at": _stamp(times[k]), "retweet_of": {"id": f"pop{popular[k]}"}})
                    continue
                post: dict[str, Any] = {"created_at": _stamp(times[k]), "text": " ".join(WORDS[w] for w in words[k])}
                if kinds[k] < 0.6:
                    post["hashtags"] = [f"tag{tags[k]}" if r < 0 else f"campaign{r}"]
                if kinds[k] > 0.9:
                    post["urls"] = [f"https://site{popular[k] % 3000}.example/a/{popular[k]}"]
                rows.append(post)
            out.write(orjson.dumps({"account": {"id": f"u{index}"}, "posts": rows}) + b"\n")


def main() -> int:
    """Writes the sample."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("/tmp/coordination-accounts.jsonl"))
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()
    write(args.output, args.accounts, args.posts)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
