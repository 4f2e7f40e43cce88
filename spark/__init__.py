"""Score a Spark DataFrame of request-shaped rows with ``mapInPandas``.

Every executor's Python worker loads (and checksum-verifies) the model once and reuses it for all
the partitions it processes; features and scores come from the same code as the HTTP service.

Input: a column ``request`` holding each account's JSON body (as sent to ``/v1/score``, e.g. from
``spark.read.text(path).withColumnRenamed("value", "request")``), or the columns ``account``,
``posts`` and optionally ``observed_at``, which are packed into that JSON. Output: one row per input
row in the flat result shape (``model.results.FLAT_COLUMNS``: ``account_id``, a ``score_<head>`` per
head, ``label``, ``top_reasons``, ``explanations`` as JSON, ``warnings``, ...), the same rows the
CLI writes to Parquet; a row that could not be scored carries its problem object in ``problem`` and
a one-line ``error``. Rows go through the same path as the HTTP batch route (``model.pipeline``:
the contract's fields, types, timestamps, and the limits passed in, by default the service's).

Spark needs a Java runtime (17 or newer) on the driver and the executors. The executors' Python must
have the project and its dependencies: point ``PYSPARK_PYTHON`` (or ``spark.pyspark.python``) at the
environment's interpreter (e.g. ``.venv/bin/python``) before creating the session; when neither is set,
:func:`score_dataframe` checks once that the workers can import the project and says so if they cannot.

Each output row carries its input ``line``: the row's position in the input DataFrame from 1 (a line's
number for one text file). Blank rows are skipped, as ``botlens score`` skips blank lines; a row that
cannot be scored keeps the account id it names, where it can be read.

Cluster example::

    spark-submit --py-files botlens.zip job.py   # job.py: score_dataframe(spark.read.text(...)).write.parquet(...)
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from model.contract import DEFAULT_LIMITS, Limits
from model.coordination.actions import actions_of
from model.coordination.graph import Edges, group_pairs, links
from model.errors import BotlensError
from model.pipeline import named_account, score_slots
from model.problems import problem_for
from model.results import FLAT_COLUMNS, FLAT_NAMES, flat
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, DEFAULT_PUBLIC_KEY, Scorer
from model.validation import Validator

OUTPUT_SCHEMA = ", ".join(f"{name} {kind}" for name, kind in FLAT_COLUMNS)
# PySpark's own pandas conversions warn under pandas 3 ("The copy keyword is deprecated"); its results
# are checked by tests/test_spark.py, and the warning says nothing a user can act on.
_PYSPARK_PANDAS_WARNING = r"The copy keyword is deprecated"


def _quiet() -> None:
    warnings.filterwarnings("ignore", message=_PYSPARK_PANDAS_WARNING, module="pyspark")


def _project_importable() -> bool:  # runs on a Spark worker
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("msgspec", "lightgbm", "model", "pandas"))


def check_workers(spark: Any) -> None:
    """Checks that Spark's Python workers can import the project, when nothing says which Python they run.

    Raises:
        RuntimeError: they cannot; the message says how to point them at this environment.
    """
    if os.environ.get("PYSPARK_PYTHON") or spark.conf.get("spark.pyspark.python", None):
        return
    context = spark.sparkContext
    try:
        ok = context.parallelize([0], 1).map(lambda _: _project_importable()).collect() == [True]
    except Exception:
        ok = False
    if not ok:
        raise RuntimeError(
            f"Spark's Python workers ({context.pythonExec}) cannot import botlens and its dependencies: "
            f"set PYSPARK_PYTHON={sys.executable} (or spark.pyspark.python) before creating the session"
        )


@functools.lru_cache(maxsize=4)
def _scorer(artifact: str, card: str, public_key: str) -> Scorer:
    # One load per Python worker process (Spark reuses workers across tasks by default).
    return Scorer.load(Path(artifact), Path(card), public_key=Path(public_key))


@functools.lru_cache(maxsize=4)
def _validator(limits: Limits) -> Validator:
    return Validator.build(limits)


def score_records(
    requests: list[str | None],
    artifact: str,
    card: str,
    fmt: str = "native",
    now: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    public_key: str = str(DEFAULT_PUBLIC_KEY),
    lines: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Scores JSON request bodies into flat rows (one per input, in order); a refused row carries its problem.

    Args:
        lines: Each request's line in the input (the rows' ``line``), if known.
    """
    scorer = _scorer(artifact, card, public_key)
    validator = _validator(limits)
    now = time.time() if now is None else now
    bodies = [(text or "null").encode() for text in requests]
    # A row's position in a pandas batch means nothing to the caller: its problem has no batch index.
    slots = score_slots(scorer, validator, fmt, bodies, now, top_k=5, problem=lambda exc, _index: problem_for(exc))
    numbers = lines if lines is not None else [None] * len(slots)
    return [
        flat(slot, None if "scores" in slot else named_account(fmt, body), line)
        for slot, body, line in zip(slots, bodies, numbers)
    ]


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

    _quiet()
    check_workers(df.sparkSession)
    if "request" not in df.columns:
        parts = [c for c in ("account", "posts", "observed_at") if c in df.columns]
        df = df.select(F.to_json(F.struct(*parts)).alias("request"))
    numbered = _numbered(df).where(F.trim(F.coalesce(F.col("request"), F.lit(""))) != "")
    artifact_s, card_s, key_s = str(artifact), str(card), str(public_key)
    columns = list(FLAT_NAMES)

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        _quiet()
        for batch in batches:
            rows = score_records(
                batch["request"].tolist(),
                artifact_s,
                card_s,
                fmt,
                limits=limits,
                public_key=key_s,
                lines=[int(n) for n in batch["line"].tolist()],
            )
            # Object dtype keeps None as None (null), where pandas would put NaN into array columns.
            yield pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns, dtype=object)

    return numbered.mapInPandas(score_batches, schema=OUTPUT_SCHEMA)


def _numbered(df: Any) -> Any:
    """The ``request`` column with each row's position in the DataFrame from 1 (``line``)."""
    indexed = df.select("request").rdd.zipWithIndex().map(lambda pair: (pair[1] + 1, pair[0]["request"]))
    return indexed.toDF("line long, request string")


# ---- coordination at cluster scale -------------------------------------------------------------------------------

ACTIONS_SCHEMA = "position long, account_id string, valid boolean, behaviour int, identity string, t double"
EDGES_SCHEMA = "a long, b long, shared long, weight double"


def action_records(
    positions: list[int], requests: list[str | None], fmt: str = "native", now: float | None = None
) -> list[dict[str, Any]]:
    """Each request's shared actions as rows (``model.coordination.actions_of``, as the single machine).

    A valid account with no action still gets one row (behaviour -1) so that it is counted; a row that
    fails validation gets one row with ``valid`` false.
    """
    validator = _validator(DEFAULT_LIMITS)
    now = time.time() if now is None else now
    rows: list[dict[str, Any]] = []
    for position, text in zip(positions, requests):
        try:
            item = validator.request(fmt, (text or "null").encode(), now)
        except BotlensError:
            rows.append({"position": position, "account_id": None, "valid": False, "behaviour": -1})
            continue
        base = {"position": position, "account_id": item.account.id, "valid": True}
        found = [{**base, "behaviour": int(b), "identity": i, "t": t} for b, i, _, t in actions_of(item.posts)]
        rows.extend(found or [{**base, "behaviour": -1}])
    return rows


def coordination_actions(df: Any, fmt: str = "native") -> Any:
    """The action table of a DataFrame of requests (``request`` JSON column), with each row's input position."""
    import pandas as pd
    from pyspark.sql import functions as F

    _quiet()
    columns = [c.split(" ")[0] for c in ACTIONS_SCHEMA.split(", ")]
    indexed = df.select("request").rdd.zipWithIndex().map(lambda pair: (pair[1], pair[0]["request"]))
    # Blank rows are skipped, as the CLI skips blank lines.
    indexed_df = indexed.toDF("position long, request string").where(
        F.trim(F.coalesce(F.col("request"), F.lit(""))) != ""
    )

    def extract(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        _quiet()
        for batch in batches:
            rows = action_records(batch["position"].tolist(), batch["request"].tolist(), fmt)
            yield pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns, dtype=object)

    return indexed_df.mapInPandas(extract, schema=ACTIONS_SCHEMA)


def coordination_edges(actions: Any, window_seconds: float) -> tuple[Any, int]:
    """Spark's edge list: pairs of accounts (input positions a < b) that did the same action within the window.

    The self-join is on (action, time bucket of the window's width) against the same and the two
    neighbouring buckets, so an action done millions of times over months splits into many small joins instead of
    one skewed partition; the pairs are exact (no cap on bursts, unlike the single machine's
    ``max_lag``). Each pair carries its distinct shared actions and their weight, log(1 + accounts /
    accounts that did the action), as ``model.coordination.network.build_edges``.

    Returns:
        (edge DataFrame with ``EDGES_SCHEMA``, number of valid accounts).
    """
    from pyspark.sql import functions as F

    valid = actions.where("valid")
    n_accounts = valid.select("position").distinct().count()
    done = valid.where("behaviour >= 0").select(
        "position", "behaviour", "identity", "t", F.floor(F.col("t") / max(window_seconds, 1.0)).alias("bucket")
    )
    popularity = done.groupBy("behaviour", "identity").agg(F.countDistinct("position").alias("accounts"))
    weights = popularity.select(
        "behaviour", "identity", F.log1p(F.lit(float(n_accounts)) / F.col("accounts")).alias("idf")
    )
    left = done.alias("l")
    right = done.select(
        F.col("position").alias("r_position"),
        F.col("behaviour").alias("r_behaviour"),
        F.col("identity").alias("r_identity"),
        F.col("t").alias("r_t"),
        F.explode(F.array(F.col("bucket") - 1, F.col("bucket"), F.col("bucket") + 1)).alias("r_bucket"),
    )
    pairs = left.join(
        right,
        (F.col("l.behaviour") == F.col("r_behaviour"))
        & (F.col("l.identity") == F.col("r_identity"))
        & (F.col("l.bucket") == F.col("r_bucket"))
        & (F.col("l.position") < F.col("r_position"))
        & (F.abs(F.col("l.t") - F.col("r_t")) <= window_seconds),
    ).select(
        F.col("l.position").alias("a"),
        F.col("r_position").alias("b"),
        F.col("l.behaviour").alias("behaviour"),
        F.col("l.identity").alias("identity"),
    )
    shared = pairs.distinct().join(weights, ["behaviour", "identity"])
    edges = shared.groupBy("a", "b").agg(F.count("*").alias("shared"), F.sum("idf").alias("weight"))
    return edges, n_accounts


def coordination_groups(actions: Any, edges: Any, settings: Any) -> dict[str, Any]:
    """The grouping step on the driver, on Spark's edge list: per valid input position, its score and group.

    Returns:
        ``{"positions": [...], "account_ids": [...], "scores": array, "labels": array}`` for the valid rows,
        in input order (labels: -1 outside the groups).
    """
    accounts = actions.where("valid").select("position", "account_id").distinct().orderBy("position").toPandas()
    positions = accounts["position"].to_numpy(dtype=np.int64)
    frame = edges.toPandas()
    a = np.searchsorted(positions, frame["a"].to_numpy(dtype=np.int64)).astype(np.int32)
    b = np.searchsorted(positions, frame["b"].to_numpy(dtype=np.int64)).astype(np.int32)
    order = np.lexsort((b, a))
    shared = frame["shared"].to_numpy(dtype=np.int64)[order]
    weight = frame["weight"].to_numpy(dtype=float)[order]
    pairs = Edges(
        a=a[order],
        b=b[order],
        shared=shared,
        weight=weight,
        strong=links(shared, weight, settings),
    )
    labels, scores = group_pairs(len(positions), pairs, settings)
    return {
        "positions": positions.tolist(),
        "account_ids": accounts["account_id"].tolist(),
        "scores": scores,
        "labels": labels,
    }
