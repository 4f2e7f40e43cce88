"""The feature values the shipped model was trained on must not drift when the code gets faster.

``tests/data/features_golden.npz`` holds feature vectors computed, when the model was trained, for
deterministic inputs: the synthetic accounts plus messy timelines (tied timestamps, Unicode, emoji,
digits, links, mentions, odd hashtags and links, future posts). Any change to a feature's value
fails here; a deliberate change means retraining and rewriting the file with
``python -m tests.test_features_golden``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from model.features import FEATURE_NAMES, extract_features
from model.records import prepare
from tests import synthetic
from tests.synthetic import format_timestamp

GOLDEN = Path(__file__).resolve().parent / "data" / "features_golden.npz"
WORDS = [
    "news",
    "Новости",
    "新闻",
    "café",
    "naïve",
    "ÀÉÎ",
    "x_y",
    "#tag",
    "@someone",
    "12345",
    "ⅻ",
    "٣",
    "🙂",
    "https://example.org/a?b=1",
    "http://t.co/xyz",
    "—",
    "\u00a0",
    "\x1c",
    "\t",
    "ΣΑΣ",
    "ǅ",
    "İ",
    "ß",
]
SOURCES = [
    "Twitter Web Client",
    "Twitter for iPhone",
    "dlvr.it",
    "my_bot",
    "ＴｗｅｅｔＤｅｃｋ",
    " ",
    None,
    "<b>odd</b>",
]
URLS = [
    "https://www.Example.org/x",
    "http://t.co/abc",
    "b.org/page",
    "::",
    "https://[bad",
    "ftp://user@host:21/",
    "  https://news.example.com",
    "HTTPS://WWW.CAPS.ORG",
]


def _messy(i: int, rng: np.random.Generator) -> dict[str, Any]:
    n = int(rng.choice([1, 2, 5, 6, 12, 40, 150]))
    # Coarse times make ties common, as in minute-rounded dumps.
    times = synthetic.OBSERVED - rng.integers(0, 30, n) * float(rng.choice([60, 3600, 86400]))
    posts = []
    for k in range(n):
        words = rng.choice(WORDS, int(rng.integers(0, 8)))
        posts.append(
            {
                "id": None if rng.random() < 0.3 else f"m{int(rng.integers(5))}",
                "created_at": format_timestamp(float(times[k]) + (86400 * 2 if rng.random() < 0.05 else 0)),
                "text": None if rng.random() < 0.1 else " ".join(words),
                "source": SOURCES[int(rng.integers(len(SOURCES)))],
                "lang": [None, "en", "EN-gb", "in", "und", "ru", "zh-cn"][int(rng.integers(7))],
                "is_retweet": bool(rng.random() < 0.4),
                "is_reply": bool(rng.random() < 0.2),
                "is_quote": rng.random() < 0.1,
                "hashtags": [str(x) for x in rng.choice(["MAGA", "#maga", "", "#", "Тег"], int(rng.integers(0, 3)))],
                "mentions": ["a"] * int(rng.integers(0, 3)),
                "urls": [str(x) for x in rng.choice(URLS, int(rng.integers(0, 3)))],
                # Reposts naming their source by reference, by text, or not at all.
                "retweet_of": {"author": ["src", "Other", "@src"][int(rng.integers(3))]}
                if rng.random() < 0.3
                else None,
            }
        )
    posts = [{k: v for k, v in post.items() if v is not None} for post in posts]
    return {
        "account": {
            "id": f"m{i}",
            "screen_name": "ab12cd_bot" if i % 3 == 0 else "Σam",
            "name": "Sam" if i % 2 else None,
            "description": " ".join(rng.choice(WORDS, 4)),
            "created_at": format_timestamp(synthetic.OBSERVED - 400 * 86400.0),
            "location": [None, "Texas, USA", "Tehran", "near the lighthouse 🏠", "Москва", "Atlanta, GA"][i % 6],
        },
        "posts": posts,
        "observed_at": format_timestamp(synthetic.OBSERVED),
    }


def golden_requests() -> list[dict[str, Any]]:
    """The deterministic inputs of the golden file."""
    rng = np.random.default_rng(11)
    return [a.request for a in synthetic.accounts(30, seed=3)] + [_messy(i, rng) for i in range(150)]


def _matrix() -> np.ndarray:
    items = [prepare(r, now=synthetic.OBSERVED) for r in golden_requests()]
    # The feature function at the snapshot the request names (posts after it clamp to it): the rule that
    # moves the snapshot when posts come from a later crawl (ScoringInput.at) is tested on its own.
    return np.vstack([extract_features(i.account, i.posts, i.moved_from or i.as_of) for i in items])


def test_extract_features_golden_values_unchanged() -> None:
    golden = np.load(GOLDEN)
    assert tuple(golden["names"]) == FEATURE_NAMES
    X = _matrix()
    assert X.shape == golden["X"].shape
    # Entropies sum over hash-ordered sets, so the last bit may differ between processes.
    np.testing.assert_allclose(X, golden["X"], rtol=1e-12, atol=1e-12)


if __name__ == "__main__":
    np.savez_compressed(GOLDEN, X=_matrix(), names=np.array(FEATURE_NAMES))
    print(f"wrote {GOLDEN}", file=sys.stderr)
