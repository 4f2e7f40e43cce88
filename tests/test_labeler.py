"""The Bluesky labeler: labels signed as the AT Protocol says (verified by the atproto package), queryLabels
paging, negations after feedback and deletion, and subscribeLabels over a real gunicorn (atproto's client)."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

import libipld
import numpy as np
import pytest
from atproto_client import models
from atproto_client.models.utils import get_or_create
from atproto_crypto.verify import verify_signature
from atproto_firehose import FirehoseSubscribeLabelsClient, parse_subscribe_labels_message

from cli import main as cli_main
from model.labeling import LabelSigner, declaration, signing_bytes, timestamp
from tests import servers, synthetic

DID = "did:plc:botlenslabelertest"


def _account(did: str, bot: bool) -> dict[str, Any]:
    body = synthetic.human(3, np.random.default_rng(3), 20)
    account = {**body["account"], "id": did, "platform": "bluesky", "screen_name": did.split(":")[-1] + ".bsky.social"}
    if bot:
        account["declared_bot"] = True  # the platform's own automated flag: a bot whatever else it shows
    return {**body, "account": account}


@pytest.fixture()
def signer(tmp_path: Path) -> tuple[LabelSigner, Path]:
    key = LabelSigner.generate()
    key.save(tmp_path / "labeler.pem")
    return key, tmp_path / "labeler.pem"


@pytest.fixture()
def labeler(app_factory: Any, tmp_path: Path, signer: tuple[LabelSigner, Path]) -> Any:
    app = app_factory(STORE_DIR=str(tmp_path / "data"), LABELER_DID=DID, LABELER_KEY_FILE=str(signer[1]))
    return app.test_client()


def _flush(client: Any) -> None:
    assert client.application.extensions["botlens.store"].writer.flush(10)


def _verified(label: dict[str, Any], did_key: str) -> bool:
    sig = label["sig"]
    if isinstance(sig, dict):  # the JSON form of bytes
        sig = base64.b64decode(sig["$bytes"] + "=" * (-len(sig["$bytes"]) % 4))
    return verify_signature(did_key, signing_bytes({k: v for k, v in label.items() if k != "sig"}), sig)


def test_labeling_signature_verifies_with_atproto_and_is_low_s() -> None:
    key = LabelSigner.generate()
    label = {"src": DID, "uri": "did:plc:someone", "val": "likely-bot", "cts": timestamp(1_780_000_000.5)}
    for _ in range(20):  # about half of raw ECDSA signatures are high-S: each must come out low-S
        sig = key.sign(label)
        assert (
            len(sig) == 64
            and int.from_bytes(sig[32:], "big") <= 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
        )
        assert verify_signature(key.did_key(), signing_bytes(label), sig)
    assert not verify_signature(key.did_key(), signing_bytes({**label, "val": "likely-troll"}), sig)
    assert not verify_signature(LabelSigner.generate().did_key(), signing_bytes(label), sig)
    # What is signed: the label without sig, ver included, in DAG-CBOR.
    assert libipld.decode_dag_cbor(signing_bytes({**label, "sig": b"x"})) == {**label, "ver": 1}


def test_labeler_query_labels_pages_verifies_and_negates_after_feedback(
    labeler: Any, signer: tuple[LabelSigner, Path]
) -> None:
    for n in range(3):
        assert labeler.post("/v1/score", json=_account(f"did:plc:bot{n}", bot=True)).get_json()["label"] == "bot"
    assert labeler.post("/v1/score", json=_account("did:plc:person", bot=False)).get_json()["label"] != "bot"
    _flush(labeler)
    first = labeler.get("/xrpc/com.atproto.label.queryLabels?uriPatterns=did:plc:bot*&limit=2").get_json()
    second = labeler.get(
        f"/xrpc/com.atproto.label.queryLabels?uriPatterns=did:plc:bot*&limit=2&cursor={first['cursor']}"
    ).get_json()
    found = first["labels"] + second["labels"]
    assert "cursor" not in second
    assert [(x["uri"], x["val"], x["src"]) for x in found] == [(f"did:plc:bot{n}", "likely-bot", DID) for n in range(3)]
    assert all(_verified(x, signer[0].did_key()) for x in found)
    # The label model of the atproto package reads them (sig as its bytes).
    for label in found:
        parsed = get_or_create({**label, "sig": None}, models.ComAtprotoLabelDefs.Label)
        assert parsed.val == "likely-bot" and parsed.ver == 1
    # An analyst says bot1 is a person: its label is negated (and stays so in queryLabels).
    feedback = {"platform": "bluesky", "account_id": "did:plc:bot1", "label": "human"}
    assert labeler.post("/v1/feedback", json=feedback).status_code == 201
    exact = labeler.get("/xrpc/com.atproto.label.queryLabels?uriPatterns=did:plc:bot1").get_json()["labels"]
    assert [(x["val"], x.get("neg")) for x in exact] == [("likely-bot", True)]
    assert _verified(exact[0], signer[0].did_key())
    # Deleting bot2 negates its label too; nothing is published for the person.
    assert labeler.delete("/v1/accounts/bluesky/did:plc:bot2").status_code == 200
    everyone = labeler.get("/xrpc/com.atproto.label.queryLabels?uriPatterns=*").get_json()["labels"]
    assert {(x["uri"], bool(x.get("neg"))) for x in everyone} == {
        ("did:plc:bot0", False),
        ("did:plc:bot1", True),
        ("did:plc:bot2", True),
    }


def test_labeler_query_parameters_are_bounded_with_xrpc_errors(labeler: Any, app_factory: Any) -> None:
    for query in (
        "",
        "uriPatterns=*&limit=0",
        "uriPatterns=*&limit=251",
        "uriPatterns=*&cursor=x",
        "uriPatterns=*&cursor=-1",
    ):
        response = labeler.get(f"/xrpc/com.atproto.label.queryLabels?{query}")
        assert (response.status_code, response.mimetype) == (400, "application/problem+json"), query
        assert response.get_json()["error"] == "InvalidRequest" and response.get_json()["message"]
    many = "&".join(f"uriPatterns=did:plc:{n}" for n in range(51))
    assert labeler.get(f"/xrpc/com.atproto.label.queryLabels?{many}").status_code == 400
    other = labeler.get("/xrpc/com.atproto.label.queryLabels?uriPatterns=*&sources=did:plc:someoneelse")
    assert other.get_json() == {"labels": []}
    plain = labeler.get("/xrpc/com.atproto.label.subscribeLabels")
    assert plain.status_code == 400  # not a WebSocket upgrade
    unconfigured = app_factory().test_client().get("/xrpc/com.atproto.label.queryLabels?uriPatterns=*")
    assert unconfigured.status_code == 404 and unconfigured.get_json()["type"].endswith("not-configured")


def test_labeler_needs_both_settings_and_the_store(app_factory: Any, signer: tuple[LabelSigner, Path]) -> None:
    with pytest.raises(ValueError, match="both"):
        app_factory(LABELER_DID=DID)
    with pytest.raises(ValueError, match="STORE_ENABLED"):
        app_factory(LABELER_DID=DID, LABELER_KEY_FILE=str(signer[1]), STORE_ENABLED=False)
    with pytest.raises(ValueError, match="DID"):
        app_factory(LABELER_DID="labeler.example", LABELER_KEY_FILE=str(signer[1]))


def test_labeler_cli_keygen_declaration_and_idempotent_sync(
    small_model: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    key = tmp_path / "labeler.pem"
    assert cli_main(["labeler", "keygen", "--key", str(key)]) == 0
    did_key = capsys.readouterr().out.strip()
    assert cli_main(["labeler", "keygen", "--key", str(key)]) == 2  # never overwrites a key unasked
    assert (key.stat().st_mode & 0o777) == 0o600
    assert (
        cli_main(["labeler", "declaration", "--did", DID, "--url", "https://labeler.example", "--key", str(key)]) == 0
    )
    declared = json.loads(capsys.readouterr().out)
    assert declared == declaration(DID, "https://labeler.example", LabelSigner.load(key))
    method = declared["did_document"]["verificationMethod"][0]
    assert method["id"] == f"{DID}#atproto_label" and "did:key:" + method["publicKeyMultibase"] == did_key
    assert declared["did_document"]["service"][0]["type"] == "AtprotoLabeler"
    values = declared["service_record"]["policies"]["labelValues"]
    assert values == ["likely-bot", "likely-troll", "possibly-hijacked"]
    # Results scored by the CLI reach the labels through a sync; a second sync publishes nothing.
    monkeypatch.setenv("BOTLENS_STORE_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BOTLENS_LABELER_DID", DID)
    monkeypatch.setenv("BOTLENS_LABELER_KEY_FILE", str(key))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(_account(f"did:plc:cli{n}", bot=True)) for n in range(2)) + "\n")
    model, card = small_model
    common = ["--model", str(model), "--card", str(card), "--public-key", str(model.parent / "signing.pub")]
    assert cli_main(["score", str(source), "-o", str(tmp_path / "out.jsonl"), "--store", *common]) == 0
    capsys.readouterr()
    assert cli_main(["labeler", "sync", "--no-progress"]) == 0
    assert "2 labels published" in capsys.readouterr().err
    assert cli_main(["labeler", "sync", "--no-progress"]) == 0
    assert "0 labels published" in capsys.readouterr().err


@pytest.mark.skipif(not servers.GUNICORN.exists(), reason="gunicorn not installed")
def test_labeler_subscribe_backfills_from_zero_then_streams_new_labels_and_negations(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path, signer: tuple[LabelSigner, Path]
) -> None:
    env = {
        "BOTLENS_STORE_DIR": str(tmp_path / "data"),
        "BOTLENS_LABELER_DID": DID,
        "BOTLENS_LABELER_KEY_FILE": str(signer[1]),
    }
    with servers.gunicorn(small_model, public_key, tmp_path, env=env, log=tmp_path / "log") as (base, _):
        for n in range(2):
            servers.post(f"{base}/v1/score", json.dumps(_account(f"did:plc:early{n}", bot=True)).encode())
        _wait_for(lambda: len(_query(base)) == 2)
        received: list[tuple[int, dict[str, Any]]] = []
        client = FirehoseSubscribeLabelsClient({"cursor": 0}, base_uri=base.replace("http", "ws") + "/xrpc")

        def on_message(message: Any) -> None:
            parsed = parse_subscribe_labels_message(message)
            for label in parsed.labels:
                fields = label.model_dump(exclude_none=True, by_alias=True)
                fields.pop("$type")  # the model's own type tag, not part of the label
                received.append((parsed.seq, fields))

        thread = threading.Thread(target=client.start, args=(on_message,), daemon=True)
        thread.start()
        try:
            _wait_for(lambda: len(received) == 2)  # the backfill
            servers.post(f"{base}/v1/score", json.dumps(_account("did:plc:late", bot=True)).encode())
            _wait_for(lambda: len(received) == 3)  # published by whichever worker wrote it, streamed live
            feedback = {"platform": "bluesky", "account_id": "did:plc:early0", "label": "human"}
            assert servers.post(f"{base}/v1/feedback", json.dumps(feedback).encode())[0] == 201
            _wait_for(lambda: len(received) == 4)
        finally:
            client.stop()
            thread.join(timeout=10)
        future = _raw_frames(base, cursor=10_000)
    seqs = [seq for seq, _ in received]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert [(x["uri"], x["val"], bool(x.get("neg"))) for _, x in received] == [
        ("did:plc:early0", "likely-bot", False),
        ("did:plc:early1", "likely-bot", False),
        ("did:plc:late", "likely-bot", False),
        ("did:plc:early0", "likely-bot", True),
    ]
    assert all(_verified(label, signer[0].did_key()) for _, label in received)
    header, body = future
    assert header == {"op": -1} and body["error"] == "FutureCursor"


def _query(base: str) -> list[dict[str, Any]]:
    import urllib.request

    with urllib.request.urlopen(f"{base}/xrpc/com.atproto.label.queryLabels?uriPatterns=*", timeout=5) as response:
        return list(json.loads(response.read())["labels"])


def _raw_frames(base: str, cursor: int) -> list[Any]:
    import websocket

    ws = websocket.create_connection(
        f"{base.replace('http', 'ws')}/xrpc/com.atproto.label.subscribeLabels?cursor={cursor}", timeout=10
    )
    try:
        return list(libipld.decode_dag_cbor_multi(ws.recv()))
    finally:
        ws.close()


def _wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)
