"""The botlens batch CLI on a file with good and bad records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
import pytest

from cli import main, score_file
from tests import synthetic


def _records() -> list[bytes]:
    rng = np.random.default_rng(8)
    return [
        orjson.dumps(synthetic.bot(1, rng, 50)),
        b"{not json",
        orjson.dumps({"account": {"id": "x", "followers_count": -3}}),
        b"",
        orjson.dumps(synthetic.human(2, rng, 20)),
        orjson.dumps([1, 2]),
        orjson.dumps(synthetic.troll(3, rng, 0)),
    ]


def _score_args(source: Path, out: Path, small_model: tuple[Path, Path], public_key: Path) -> list[str]:
    """``botlens score`` arguments for the small model."""
    return [
        "score",
        str(source),
        "-o",
        str(out),
        "--model",
        str(small_model[0]),
        "--card",
        str(small_model[1]),
        "--public-key",
        str(public_key),
    ]


def test_cli_score_jsonl_good_and_bad_records(tmp_path: Path, small_model: tuple[Path, Path], public_key: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(_records()) + b"\n")
    out, errors = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    scored, failed = score_file(
        source, out, errors, artifact=small_model[0], card=small_model[1], public_key=public_key, progress=False
    )
    assert (scored, failed) == (3, 3)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["account_id"] for r in results] == ["b1", "h2", "t3"]
    assert all(set(r["scores"]) == {"bot", "troll", "hijacked"} for r in results)
    problems = {e["line"]: e["problem"] for e in map(json.loads, errors.read_text().splitlines())}
    assert set(problems) == {2, 3, 6}
    assert problems[2]["status"] == 400 and problems[3]["status"] == 422
    assert "account.followers_count" in problems[3]["errors"] and "body" in problems[6]["errors"]


def test_cli_results_equal_api(tmp_path: Path, small_model: tuple[Path, Path], public_key: Path, client) -> None:
    body = synthetic.troll(5, np.random.default_rng(5), 40)
    source = tmp_path / "one.jsonl"
    source.write_bytes(orjson.dumps(body) + b"\n")
    score_file(
        source,
        tmp_path / "o.jsonl",
        tmp_path / "e.jsonl",
        artifact=small_model[0],
        card=small_model[1],
        public_key=public_key,
        progress=False,
    )
    assert json.loads((tmp_path / "o.jsonl").read_text()) == client.post("/v1/score", json=body).get_json()


def test_cli_parquet_in_and_out(tmp_path: Path, small_model: tuple[Path, Path], public_key: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rng = np.random.default_rng(4)
    rows = [synthetic.bot(i, rng, 10) for i in range(5)]
    for row in rows:
        row["account"] = {k: v for k, v in row["account"].items()}
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    scored, failed = score_file(
        tmp_path / "in.parquet",
        tmp_path / "out.parquet",
        tmp_path / "e.jsonl",
        artifact=small_model[0],
        card=small_model[1],
        public_key=public_key,
        progress=False,
    )
    assert (scored, failed) == (5, 0)
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == 5
    assert {"account_id", "score_bot", "score_troll", "score_hijacked", "label", "explanations"} <= set(
        table.column_names
    )


def test_cli_main_prints_counts(
    tmp_path: Path, small_model: tuple[Path, Path], public_key: Path, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(_records()))
    code = main(_score_args(source, tmp_path / "o.jsonl", small_model, public_key))
    assert code == 0
    assert "scored 3, failed 3" in capsys.readouterr().err


def test_cli_errors_file_in_line_order_with_plain_json_message(
    tmp_path: Path, small_model: tuple[Path, Path], public_key: Path
) -> None:
    source = tmp_path / "in.jsonl"
    # Validation failures and unparseable lines interleaved: the errors file follows the input's order.
    source.write_bytes(b"\n".join([orjson.dumps({"account": {}}), b"nul", orjson.dumps([1]), b'{"a":']) + b"\n")
    errors = tmp_path / "errors.jsonl"
    assert score_file(
        source,
        tmp_path / "o.jsonl",
        errors,
        artifact=small_model[0],
        card=small_model[1],
        public_key=public_key,
        progress=False,
    ) == (0, 4)
    lines = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    assert lines[1]["problem"]["detail"] == "The record is not valid JSON (it breaks off at character 1)."
    assert "expected 'null'" not in errors.read_text()


def test_cli_points_at_errors_only_when_something_failed(
    tmp_path: Path, small_model: tuple[Path, Path], public_key: Path, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(orjson.dumps(synthetic.bot(1, np.random.default_rng(1), 5)) + b"\n")
    stale = tmp_path / "o.jsonl.errors.jsonl"
    stale.write_text("from an earlier run\n")
    assert main(_score_args(source, tmp_path / "o.jsonl", small_model, public_key)) == 0
    err = capsys.readouterr().err
    assert "scored 1, failed 0," in err and "see" not in err
    assert not stale.exists()


def test_cli_keys_mint_and_revoke_without_warnings(tmp_path: Path) -> None:
    import subprocess
    import sys

    keys = tmp_path / "keys.json"
    run = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            "-m",
            "cli",
            "keys",
            "mint",
            "--name",
            "x",
            "--quota",
            "7",
            "--file",
            str(keys),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith("bl_") and "Warning" not in run.stderr
    record = json.loads(keys.read_text())[0]
    assert record["quota_per_minute"] == 7 and record["name"] == "x" and run.stdout.strip() not in keys.read_text()
    subprocess.run(
        [sys.executable, "-m", "cli", "keys", "revoke", "--id", record["id"], "--file", str(keys)],
        capture_output=True,
        check=True,
    )
    assert json.loads(keys.read_text())[0]["revoked"] is True


def test_cli_usage_errors_are_one_line_with_exit_code_2(
    tmp_path: Path,
    small_model: tuple[Path, Path],
    public_key: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(_records()))
    cases = [
        (_score_args(tmp_path / "missing.jsonl", tmp_path / "o.jsonl", small_model, public_key), "no such input file"),
        (_score_args(source, tmp_path / "o.csv", small_model, public_key), "must end in .jsonl or .parquet"),
        (_score_args(source, tmp_path / "nowhere" / "o.jsonl", small_model, public_key), "folder does not exist"),
        (_score_args(tmp_path, tmp_path / "o.jsonl", small_model, public_key), "not a file"),
        (["coordination", str(source), "-o", str(tmp_path / "g.jsonl")], "must end in .json"),
        (["coordination", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "g.json")], "no such input file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    # Parquet without pyarrow: refused before any work, and no errors file is left behind.
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    assert main(_score_args(source, tmp_path / "o.parquet", small_model, public_key)) == 2
    assert "needs pyarrow" in capsys.readouterr().err
    assert not list(tmp_path.glob("o.parquet*"))


def test_cli_progress_shows_the_total_and_no_progress_hides_it(
    tmp_path: Path, small_model: tuple[Path, Path], public_key: Path, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(_records()) + b"\n\n")
    assert score_file(
        source,
        tmp_path / "o.jsonl",
        tmp_path / "e.jsonl",
        artifact=small_model[0],
        card=small_model[1],
        public_key=public_key,
        progress=True,
    ) == (3, 3)
    bar = capsys.readouterr().err
    assert "6/6" in bar and "<" in bar  # the total (blank lines not counted) and the time left
    assert main([*_score_args(source, tmp_path / "o.jsonl", small_model, public_key), "--no-progress"]) == 0
    assert "6/6" not in capsys.readouterr().err
    assert main(["coordination", str(source), "-o", str(tmp_path / "g.json"), "--no-progress"]) == 0
    assert "it/s" not in capsys.readouterr().err and "accounts/s" not in capsys.readouterr().err


def test_cli_parquet_output_rows_carry_their_input_line(
    tmp_path: Path, small_model: tuple[Path, Path], public_key: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(_records()))
    assert main([*_score_args(source, tmp_path / "o.parquet", small_model, public_key), "--no-progress"]) == 0
    assert pq.read_table(tmp_path / "o.parquet").column("line").to_pylist() == [1, 5, 7]
