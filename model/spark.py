"""Score a Spark DataFrame of request-shaped rows with ``mapInPandas``.

Every executor's Python worker loads (and checksum-verifies) the model once and reuses it for all
the partitions it processes; features and scores come from the same code as the HTTP service.

Input: a column ``request`` holding each account's JSON body (as sent to ``/v1/score``, e.g. from
``spark.read.text(path).withColumnRenamed("value", "request")``), or the columns ``account``,
``posts`` and optionally ``observed_at``, which are packed into that JSON. Output: one row per input
row with ``account_id``, ``score_bot``, ``score_troll``, ``score_hijacked``, ``label``,
``top_reasons``, ``explanations`` (JSON), ``warnings``, ``model_version`` and ``error`` (null, or
why the row could not be scored). Rows are validated against the same contract as the HTTP service
(``model.validation``: fields, types, timestamps, and the limits passed in, by default the service's).

The executors' Python must have the project's dependencies (pandas and pyarrow among them): point
``PYSPARK_PYTHON`` at the environment's interpreter (e.g. ``.venv/bin/python``) before starting Spark,
or the workers fail with ``No module named 'pandas'``.

Cluster example::

    spark-submit --py-files botlens.zip job.py   # job.py: score_dataframe(spark.read.text(...)).write.parquet(...)
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model.contract import DEFAULT_LIMITS, Limits
from model.errors import BotlensError, RequestValidationError
from model.heads import HEAD_NAMES
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, Scorer
from model.signing import DEFAULT_PUBLIC_KEY
from model.validation import Validator

OUTPUT_SCHEMA = ", ".join(
    [
        "account_id string",
        "model_version string",
        *[f"score_{name} double" for name in HEAD_NAMES],
        "label string",
        "top_reasons array<string>",
        "explanations string",
        "warnings array<string>",
        "error string",
    ]
)


@functools.lru_cache(maxsize=4)
def _scorer(artifact: str, card: str, public_key: str) -> Scorer:
    # One load per Python worker process (Spark reuses workers across tasks by default).
    return Scorer.load(Path(artifact), Path(card), public_key=Path(public_key))


@functools.lru_cache(maxsize=4)
def _validator(limits: Limits) -> Validator:
    return Validator.build(limits)


def _error(exc: BotlensError) -> str:
    if isinstance(exc, RequestValidationError):
        return "; ".join(f"{path}: {' '.join(messages)}" for path, messages in exc.errors.items())
    field = getattr(exc, "field", None)
    return f"{field}: {exc}" if field else str(exc)


def score_records(
    requests: list[str | None],
    artifact: str,
    card: str,
    fmt: str = "native",
    now: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    public_key: str = str(DEFAULT_PUBLIC_KEY),
) -> list[dict[str, Any]]:
    """Scores JSON request bodies into output rows (one per input, in order); bad rows carry ``error``."""
    scorer = _scorer(artifact, card, public_key)
    validator = _validator(limits)
    now = time.time() if now is None else now
    rows: list[dict[str, Any] | None] = [None] * len(requests)
    valid, indices = [], []
    for i, text in enumerate(requests):
        try:
            valid.append(validator.request(fmt, (text or "null").encode(), now))
            indices.append(i)
        except BotlensError as exc:
            rows[i] = {"account_id": None, "model_version": scorer.version, "error": _error(exc)}
    for i, item, result in zip(indices, valid, scorer.score(valid)):
        rows[i] = {
            "account_id": item.account.id,
            "model_version": scorer.version,
            **{f"score_{cls}": score for cls, score in result["scores"].items()},
            "label": result["label"],
            "top_reasons": [
                e["top_features"][0]["reason"] for e in result["explanations"].values() if e["top_features"]
            ],
            "explanations": json.dumps(result["explanations"]),
            "warnings": result["warnings"],
            "error": None,
        }
    return rows  # type: ignore[return-value]


def score_dataframe(
    df: Any,
    artifact: Path = DEFAULT_ARTIFACT,
    card: Path = DEFAULT_CARD,
    fmt: str = "native",
    limits: Limits = DEFAULT_LIMITS,
    public_key: Path = DEFAULT_PUBLIC_KEY,
) -> Any:
    """Scores a DataFrame of requests; returns a DataFrame with ``OUTPUT_SCHEMA``.

    Args:
        df: Rows with a ``request`` JSON column, or ``account``/``posts``/``observed_at`` columns.
        artifact: Model artifact path, readable on every executor.
        card: Model card path (holds the artifact's sha256).
        fmt: ``native`` or a platform payload format.
        limits: Input limits (default the service's).
        public_key: The key the card must be signed for, readable on every executor.
    """
    import pandas as pd
    from pyspark.sql import functions as F

    if "request" not in df.columns:
        parts = [c for c in ("account", "posts", "observed_at") if c in df.columns]
        df = df.select(F.to_json(F.struct(*parts)).alias("request"))
    artifact_s, card_s, key_s = str(artifact), str(card), str(public_key)
    columns = [c.split(" ")[0] for c in OUTPUT_SCHEMA.split(", ")]

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            rows = score_records(batch["request"].tolist(), artifact_s, card_s, fmt, limits=limits, public_key=key_s)
            # Object dtype keeps None as None (null), where pandas would put NaN into array columns.
            yield pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns, dtype=object)

    return df.select("request").mapInPandas(score_batches, schema=OUTPUT_SCHEMA)
