"""The store's routes: lookup by id or handle, history, ETag, lookup slots, feedback, deletion, and failing safely."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from api.storage import NOT_STORED
from cli import main as cli_main
from store import Store
from store.keys import KeyStore, mint
from tests.servers import free_port


def _body(account_id: str = "42", screen_name: str = "Jane_Doe", n_posts: int = 25) -> dict[str, Any]:
    posts = [
        {"id": str(i), "created_at": f"2024-03-{1 + i % 28:02d}T{8 + i % 12:02d}:{i % 60:02d}:00Z", "text": f"post {i}"}
        for i in range(n_posts)
    ]
    # A full profile: with less than half the fields the heads read, the label would be "unknown".
    account = {
        "id": account_id,
        "screen_name": screen_name,
        "followers_count": 10,
        "friends_count": 40,
        "statuses_count": 300,
        "favourites_count": 20,
        "listed_count": 0,
        "created_at": "2019-05-01T00:00:00Z",
        "description": "reader",
        "verified": False,
        "default_profile": False,
        "default_profile_image": False,
    }
    return {"account": account, "posts": posts}


def _flush(client: Any) -> None:
    assert client.application.extensions["botlens.store"].writer.flush(10)


@pytest.fixture()
def client(app_factory: Any, tmp_path: Path) -> Any:
    """An app with its own store folder, auth off."""
    return app_factory(STORE_DIR=str(tmp_path)).test_client()


@pytest.fixture()
def keyed(app_factory: Any, tmp_path: Path) -> tuple[Any, str, str]:
    """An app with keys on: a plain key (quota 5) and an admin key."""
    plain, plain_record = mint("analyst", 5)
    admin, admin_record = mint("dpo", 100, scopes=["admin"])
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(KeyStore([plain_record, admin_record]).records()))
    app = app_factory(STORE_DIR=str(tmp_path), AUTH_ENABLED=True, API_KEYS_FILE=str(path))
    return app.test_client(), plain, admin


def test_accounts_latest_by_id_and_handle_after_scoring(client: Any) -> None:
    scored = client.post("/v1/score", json=_body()).get_json()
    assert NOT_STORED not in scored["warnings"]
    _flush(client)
    for key in ("42", "jane_doe", "JANE_DOE", "@Jane_Doe"):
        response = client.get(f"/v1/accounts/twitter/{key}")
        assert response.status_code == 200, key
        stored = response.get_json()
        assert stored["account_id"] == "42"
        assert stored["scores"] == scored["scores"]
        assert stored["label"] == scored["label"]
        assert stored["observed_at"] == scored["observed_at"]
        assert stored["reasons"]["bot"] == [f["reason"] for f in scored["explanations"]["bot"]["top_features"][:3]]
        assert "post 1" not in response.get_data(as_text=True)


def test_accounts_never_scored_404_problem(client: Any) -> None:
    response = client.get("/v1/accounts/twitter/nobody")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:botlens:problem:not-stored"


def test_accounts_history_in_time_order(client: Any) -> None:
    client.post("/v1/score", json=_body(n_posts=25))
    _flush(client)
    client.post("/v1/score/batch", json={"accounts": [_body(n_posts=60)]})
    _flush(client)
    history = client.get("/v1/accounts/twitter/42?history=true").get_json()["results"]
    assert [r["n_posts"] for r in history] == [25, 60]
    assert client.get("/v1/accounts/twitter/42").get_json()["n_posts"] == 60


def test_accounts_etag_304_until_rescored(client: Any) -> None:
    client.post("/v1/score", json=_body())
    _flush(client)
    first = client.get("/v1/accounts/twitter/42")
    assert first.headers["Cache-Control"] == "private, max-age=60"
    etag = first.headers["ETag"]
    again = client.get("/v1/accounts/twitter/42", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    client.post("/v1/score", json=_body(n_posts=30))
    _flush(client)
    changed = client.get("/v1/accounts/twitter/42", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_lookup_one_slot_per_item(client: Any) -> None:
    client.post("/v1/score/batch", json={"accounts": [_body("1", "one"), _body("2", "two")]})
    _flush(client)
    items = [
        {"platform": "twitter", "screen_name": "TWO"},
        {"platform": "twitter", "id": "3"},
        {"platform": "twitter", "id": "1", "screen_name": "one"},
        {"platform": "twitter", "id": "1"},
        "not an object",
    ]
    response = client.post("/v1/accounts/lookup", json={"accounts": items})
    assert response.status_code == 200
    slots = response.get_json()["results"]
    assert len(slots) == len(items)
    assert slots[0]["account_id"] == "2"
    assert (slots[1]["status"], slots[1]["index"]) == (404, 1)
    assert (slots[2]["status"], slots[2]["index"]) == (422, 2)
    assert slots[3]["account_id"] == "1"
    assert slots[4]["status"] == 422


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"accounts": [{"platform": "twitter", "id": "1"}] * 1001}, 422),
        ({"accounts": []}, 422),
        ({"accounts": [], "extra": 1}, 422),
        ({}, 422),
    ],
)
def test_lookup_bad_envelope_422(client: Any, body: Any, status: int) -> None:
    response = client.post("/v1/accounts/lookup", json=body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_lookup_not_json_415_and_malformed_400(client: Any) -> None:
    assert client.post("/v1/accounts/lookup", data="x", content_type="text/plain").status_code == 415
    assert client.post("/v1/accounts/lookup", data="{", content_type="application/json").status_code == 400


def test_feedback_stored_with_key_name_and_disagreement_counted(keyed: tuple[Any, str, str]) -> None:
    client, plain, _ = keyed
    headers = {"X-API-Key": plain}
    scored = client.post("/v1/score", json=_body(), headers=headers).get_json()
    _flush(client)
    other = next(label for label in ("bot", "troll", "hijacked", "human") if label != scored["label"])
    before = _disagreements(client)
    response = client.post(
        "/v1/feedback",
        json={"platform": "twitter", "account_id": "42", "label": other, "note": "known person"},
        headers=headers,
    )
    assert response.status_code == 201
    stored = response.get_json()
    assert (stored["key_name"], stored["stored_label"], stored["label"]) == ("analyst", scored["label"], other)
    assert _disagreements(client) == before + 1
    agreeing = {"platform": "twitter", "account_id": "42", "label": scored["label"]}
    assert client.post("/v1/feedback", json=agreeing, headers=headers).status_code == 201
    assert _disagreements(client) == before + 1


def _disagreements(client: Any) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith("botlens_feedback_disagreements_total "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "twitter", "account_id": "1", "label": "spam"},
        {"platform": "twitter", "account_id": "1"},
        {"platform": "twitter", "account_id": "1", "label": "bot", "note": "x" * 2001},
        {"platform": "twitter", "account_id": "1", "label": "bot", "unknown": True},
        {"platform": "", "account_id": "1", "label": "bot"},
    ],
)
def test_feedback_invalid_422(client: Any, body: dict[str, Any]) -> None:
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_delete_needs_admin_scope(keyed: tuple[Any, str, str]) -> None:
    client, plain, admin = keyed
    client.post("/v1/score", json=_body(), headers={"X-API-Key": plain})
    client.post(
        "/v1/feedback", json={"platform": "twitter", "account_id": "42", "label": "bot"}, headers={"X-API-Key": plain}
    )
    assert client.delete("/v1/accounts/twitter/42").status_code == 401
    refused = client.delete("/v1/accounts/twitter/42", headers={"X-API-Key": plain})
    assert refused.status_code == 403
    assert "admin" in refused.get_json()["detail"]
    deleted = client.delete("/v1/accounts/twitter/42", headers={"X-API-Key": admin})
    assert (deleted.status_code, deleted.get_json()) == (200, {"results": 1, "feedback": 1})
    assert client.get("/v1/accounts/twitter/42", headers={"X-API-Key": plain}).status_code == 404
    assert client.delete("/v1/accounts/twitter/42", headers={"X-API-Key": admin}).status_code == 404


def test_store_routes_need_a_key_and_count_against_the_quota(keyed: tuple[Any, str, str]) -> None:
    client, plain, _ = keyed
    assert client.get("/v1/accounts/twitter/42").status_code == 401
    statuses = [client.get("/v1/accounts/twitter/42", headers={"X-API-Key": plain}).status_code for _ in range(6)]
    assert statuses == [404] * 5 + [429]


def test_store_down_at_start_scores_with_a_warning(app_factory: Any) -> None:
    app = app_factory(STORE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    client = app.test_client()
    response = client.post("/v1/score", json=_body())
    assert response.status_code == 200
    assert NOT_STORED in response.get_json()["warnings"]
    batch = client.post("/v1/score/batch", json={"accounts": [_body("1"), {"account": {}}]}).get_json()["results"]
    assert NOT_STORED in batch[0]["warnings"]
    assert batch[1]["status"] == 422
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'botlens_store_unsaved_total{reason="down"}' in metrics
    lookup = client.get("/v1/accounts/twitter/42")
    assert (lookup.status_code, lookup.get_json()["type"]) == (503, "urn:botlens:problem:store-unavailable")


def test_store_disabled_scores_without_warning_and_routes_503(app_factory: Any) -> None:
    client = app_factory(STORE_ENABLED=False).test_client()
    assert NOT_STORED not in client.post("/v1/score", json=_body()).get_json()["warnings"]
    response = client.get("/v1/accounts/twitter/42")
    assert (response.status_code, response.get_json()["type"]) == (503, "urn:botlens:problem:store-disabled")


def test_cli_feedback_export_and_prune(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    client.post("/v1/score", json=_body())
    _flush(client)
    client.post("/v1/feedback", json={"platform": "twitter", "account_id": "42", "label": "human", "note": "n"})
    monkeypatch.setenv("BOTLENS_STORE_DIR", str(tmp_path))
    out = tmp_path / "feedback.jsonl"
    assert cli_main(["feedback", "export", "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["account_id"], r["label"], r["note"]) for r in records] == [("42", "human", "n")]
    assert cli_main(["store", "prune"]) == 2  # no retention set: says so, deletes nothing
    assert cli_main(["store", "prune", "--days", "36500"]) == 0
    assert cli_main(["store", "count"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1"
    monkeypatch.setenv("BOTLENS_STORE_RETENTION_DAYS", "0.000001")  # 0.09 s
    time.sleep(0.2)
    assert cli_main(["store", "prune"]) == 0
    assert cli_main(["store", "count"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0"


def test_cli_keys_mint_admin_scope(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    assert cli_main(["keys", "mint", "--name", "dpo", "--scope", "admin", "--file", str(path)]) == 0
    assert cli_main(["keys", "mint", "--name", "pipeline", "--file", str(path)]) == 0
    records = json.loads(path.read_text())
    assert [r["scopes"] for r in records] == [["admin"], []]
    assert [k.scopes for k in KeyStore.from_records(records).keys.values()] == [("admin",), ()]


def test_accounts_mastodon_handle_found_with_its_instance(client: Any) -> None:
    payload = {
        "account": {"id": "109", "acct": "Alice", "url": "https://mastodon.social/@Alice", "username": "Alice"},
        "statuses": [
            {"id": str(i), "created_at": f"2024-03-{1 + i:02d}T10:00:00Z", "content": "<p>hello</p>"} for i in range(5)
        ],
    }
    assert client.post("/v1/score?format=mastodon", json=payload).status_code == 200
    _flush(client)
    found = client.get("/v1/accounts/mastodon/@alice@mastodon.social")
    assert (found.status_code, found.get_json()["account_id"]) == (200, "109")
    assert client.get("/v1/accounts/mastodon/@alice@fosstodon.org").status_code == 404


def test_lookup_counts_each_account_against_the_quota(keyed: tuple[Any, str, str]) -> None:
    client, plain, _ = keyed  # quota 5 per minute
    headers = {"X-API-Key": plain}
    three = {"accounts": [{"platform": "twitter", "id": str(i)} for i in range(3)]}
    first = client.post("/v1/accounts/lookup", json=three, headers=headers)
    assert (first.status_code, first.headers["X-RateLimit-Remaining"]) == (200, "2")
    assert client.post("/v1/accounts/lookup", json=three, headers=headers).status_code == 429
    six = {"accounts": [{"platform": "twitter", "id": str(i)} for i in range(6)]}
    never = client.post("/v1/accounts/lookup", json=six, headers=headers)
    assert never.status_code == 429
    assert "can never fit" in never.get_json()["detail"]


def test_accounts_unknown_platform_is_a_422_on_lookup_delete_and_feedback(client: Any) -> None:
    client.post("/v1/score", json={**_body(), "account": {**_body()["account"], "platform": "fediverse"}})
    _flush(client)
    typo = client.get("/v1/accounts/twiter/42")
    assert (typo.status_code, typo.mimetype) == (422, "application/problem+json")
    assert "twiter" in typo.get_json()["errors"]["platform"][0]
    assert client.delete("/v1/accounts/twiter/42").status_code == 422
    assert (
        client.post("/v1/feedback", json={"platform": "twiter", "account_id": "42", "label": "bot"}).status_code == 422
    )
    # A platform an adapter knows, and one that only the store holds, are lookups like any other.
    assert client.get("/v1/accounts/bluesky/42").status_code == 404
    assert client.get("/v1/accounts/fediverse/42").status_code == 200
    slots = client.post(
        "/v1/accounts/lookup",
        json={"accounts": [{"platform": "twiter", "id": "42"}, {"platform": "fediverse", "id": "42"}]},
    ).get_json()["results"]
    assert (slots[0]["status"], slots[0]["index"]) == (422, 0)
    assert slots[1]["account_id"] == "42"


def test_accounts_history_and_feedback_carry_the_sending_key_id(keyed: tuple[Any, str, str]) -> None:
    client, plain, admin = keyed
    client.post("/v1/score", json=_body(), headers={"X-API-Key": plain})
    _flush(client)
    plain_id = plain.split("_")[1]
    history = client.get("/v1/accounts/twitter/42?history=true", headers={"X-API-Key": admin}).get_json()
    assert [r["key_id"] for r in history["results"]] == [plain_id]
    # The newest result alone, which extensions read, does not say which client sent it.
    assert "key_id" not in client.get("/v1/accounts/twitter/42", headers={"X-API-Key": admin}).get_json()
    given = client.post(
        "/v1/feedback", json={"platform": "twitter", "account_id": "42", "label": "bot"}, headers={"X-API-Key": admin}
    ).get_json()
    assert given["key_id"] == admin.split("_")[1]


def test_instances_in_two_directories_keep_two_stores(
    app_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOTLENS_STORE_DIR", raising=False)
    first, second = tmp_path / "one", tmp_path / "two"
    clients = []
    for folder in (first, second):
        folder.mkdir()
        monkeypatch.chdir(folder)
        clients.append(app_factory().test_client())
    clients[0].post("/v1/score", json=_body("1", "first"))
    clients[1].post("/v1/score", json=_body("2", "second"))
    for c in clients:
        _flush(c)
    assert (first / "botlens-data" / "botlens.sqlite3").is_file() and (second / "botlens-data").is_dir()
    assert clients[0].get("/v1/accounts/twitter/1").status_code == 200
    assert clients[0].get("/v1/accounts/twitter/2").status_code == 404
    assert clients[1].get("/v1/accounts/twitter/2").status_code == 200
    assert clients[1].get("/v1/accounts/twitter/1").status_code == 404


def test_cli_score_with_store_is_found_by_lookup(
    app_factory: Any, small_model: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTLENS_STORE_DIR", str(tmp_path / "data"))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(_body(str(i), f"cli{i}")) for i in range(3)) + "\n")
    model, card = small_model
    common = ["--model", str(model), "--card", str(card), "--public-key", str(model.parent / "signing.pub")]
    assert cli_main(["score", str(source), "-o", str(tmp_path / "out.jsonl"), *common, "--store"]) == 0
    client = app_factory(STORE_DIR=str(tmp_path / "data")).test_client()
    found = client.post("/v1/accounts/lookup", json={"accounts": [{"platform": "twitter", "screen_name": "cli2"}]})
    assert found.get_json()["results"][0]["account_id"] == "2"
    # And to a store named by URL, which the configured one does not see.
    other = tmp_path / "other.sqlite3"
    assert (
        cli_main(["score", str(source), "-o", str(tmp_path / "out2.jsonl"), *common, "--store", f"sqlite:///{other}"])
        == 0
    )
    assert Store(f"sqlite:///{other}").count() == 3
    assert client.get("/v1/accounts/twitter/1").status_code == 200
    assert Store(f"sqlite:///{tmp_path / 'data' / 'botlens.sqlite3'}").count() == 3
