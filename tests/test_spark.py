"""Spark scoring in local mode equals the service's scores for the same accounts."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests import synthetic

pyspark = pytest.importorskip("pyspark")
N_ROWS = 2000


@pytest.fixture(scope="module")
def spark() -> Any:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark")
    from pyspark.sql import SparkSession

    # Workers must run this interpreter (with the project installed), not whatever python3 is on PATH.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("botlens-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_scores_equal_service(spark: Any, small_model: tuple[Path, Path], public_key: Path, client: Any) -> None:
    from spark import score_dataframe

    rng = np.random.default_rng(21)
    makers = (synthetic.bot, synthetic.human, synthetic.troll)
    bodies = [makers[i % 3](i, rng, int(rng.integers(0, 60))) for i in range(N_ROWS)]
    bad = [("{broken",), (json.dumps({"account": {"id": "named", "followers_count": -1}}),), ("   ",), (None,)]
    rows = [(json.dumps(b),) for b in bodies] + bad
    df = spark.createDataFrame(rows, "request string")
    out = score_dataframe(df, artifact=small_model[0], card=small_model[1], public_key=public_key).collect()
    assert len(out) == N_ROWS + 2  # blank and null rows are skipped, as the CLI skips blank lines
    errors = sorted((r for r in out if r["error"]), key=lambda r: r["line"])
    # A failed row keeps its input line, and the account id it names where it can be read.
    assert [(r["line"], r["account_id"]) for r in errors] == [(N_ROWS + 1, None), (N_ROWS + 2, "named")]
    assert sorted(r["line"] for r in out) == list(range(1, N_ROWS + 3))
    by_id = {r["account_id"]: r for r in out if not r["error"]}
    assert len(by_id) == N_ROWS
    for body in bodies[:: N_ROWS // 50]:
        expected = client.post("/v1/score", json=body).get_json()
        row = by_id[expected["account_id"]]
        assert row["label"] == expected["label"]
        for cls, score in expected["scores"].items():
            assert row[f"score_{cls}"] == pytest.approx(score, abs=1e-6)
        assert row["top_reasons"][0] == expected["explanations"]["bot"]["top_features"][0]["reason"]


def test_spark_struct_columns_are_packed(spark: Any, small_model: tuple[Path, Path], public_key: Path) -> None:
    from spark import score_dataframe

    body = synthetic.human(1, np.random.default_rng(2), 10)
    df = spark.read.json(spark.sparkContext.parallelize([json.dumps(body)]))
    out = score_dataframe(df, artifact=small_model[0], card=small_model[1], public_key=public_key).collect()
    assert len(out) == 1 and out[0]["error"] is None and out[0]["account_id"] == "h1"


def test_spark_coordination_equals_single_machine(spark: Any) -> None:
    from model.coordination import ActionCollector, Settings, coordinate
    from model.validation import Validator
    from spark import coordination_actions, coordination_edges, coordination_groups
    from tests.test_coordination import T0, _batch

    bodies = _batch(4)
    bodies.insert(5, {"account": {"name": "no id"}})  # refused: no slot in the table, as in the service
    settings = Settings()
    validator = Validator.build()
    collector = ActionCollector()
    for body in bodies:
        try:
            item = validator.request("native", json.dumps(body).encode(), T0 + 40 * 86400)
        except Exception:
            continue
        collector.add(item.posts)
    single = coordinate(collector.table(), settings)

    df = spark.createDataFrame([(json.dumps(b),) for b in bodies], "request string")
    actions = coordination_actions(df).cache()
    edges, n_accounts = coordination_edges(actions, settings.window_seconds)
    found = coordination_groups(actions, edges, settings)

    assert n_accounts == collector.n_accounts == len(bodies) - 1
    assert found["positions"] == [i for i in range(len(bodies)) if i != 5]
    np.testing.assert_allclose(found["scores"], single.scores, rtol=1e-9)
    assert (found["labels"] >= 0).tolist() == (single.group_of >= 0).tolist()
    groups_spark = {frozenset(np.flatnonzero(found["labels"] == g)) for g in set(found["labels"]) - {-1}}
    assert groups_spark == {frozenset(g.members) for g in single.groups}


def test_spark_workers_without_the_project_get_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from spark import check_workers

    class Job:
        def __init__(self, answer: list[bool]) -> None:
            self.answer = answer

        def map(self, _: Any) -> Job:
            return self

        def collect(self) -> list[bool]:
            return self.answer

    class Session:
        def __init__(self, answer: list[bool]) -> None:
            self.conf = type("Conf", (), {"get": staticmethod(lambda key, default=None: default)})()
            self.sparkContext = type(
                "Context", (), {"pythonExec": "python3", "parallelize": staticmethod(lambda *_: Job(answer))}
            )()

    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    with pytest.raises(RuntimeError, match="PYSPARK_PYTHON=") as caught:
        check_workers(Session([False]))
    assert "python3" in str(caught.value) and "msgspec" not in str(caught.value)
    check_workers(Session([True]))  # workers that can import it pass
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    check_workers(Session([False]))  # told which Python: not second-guessed
