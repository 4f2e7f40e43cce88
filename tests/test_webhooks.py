"""Mastodon admin webhooks: signatures checked, the reported account scored from the delivery (a real
recorded account and its statuses), stored without the admin entity's e-mail or IP, and a note posted
to a local fake Mastodon server."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from store import Store
from store.database import sqlite_url
from store.tables import Result
from tests.test_platforms import payloads

SECRET = "a-webhook-secret"


def _report(event: str = "report.created") -> dict[str, Any]:
    recorded = payloads()["mastodon"]
    target = recorded["account"]
    return {
        "event": event,
        "created_at": "2024-05-01T09:00:00.351Z",
        "object": {
            "id": "8437",
            "action_taken": False,
            "category": "spam",
            "comment": "looks automated",
            "forwarded": False,
            "created_at": "2024-05-01T09:00:00.348Z",
            "account": {"id": "1", "username": "reporter", "email": "reporter@example.org", "ip": "10.0.0.1"},
            "target_account": {
                "id": target["id"],
                "username": target["username"],
                "domain": "fosstodon.org",
                "email": "target@example.org",
                "ip": "192.0.2.7",
                "ips": [{"ip": "192.0.2.7", "used_at": "2024-04-30T10:00:00.000Z"}],
                "account": target,
            },
            "statuses": recorded["statuses"][:8],
            "rules": [],
        },
    }


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


class FakeMastodon(ThreadingHTTPServer):
    """A Mastodon server's report-notes API on loopback: records the notes it is sent."""

    def __init__(self, answer: int = 200) -> None:
        self.answer = answer
        self.notes: list[tuple[str, str, dict[str, Any]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                owner.notes.append(
                    (self.path, self.headers.get("Authorization", ""), json.loads(self.rfile.read(length)))
                )
                self.send_response(owner.answer)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "1"}' if owner.answer == 200 else b'{"error": "Record not found"}')

            def log_message(self, *_: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture()
def mastodon() -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture()
def receiver(app_factory: Any, tmp_path: Path, mastodon: FakeMastodon) -> Any:
    app = app_factory(
        STORE_DIR=str(tmp_path / "data"),
        MASTODON_WEBHOOK_SECRET=SECRET,
        MASTODON_URL=mastodon.url,
        MASTODON_ADMIN_TOKEN="admin-token",
    )
    return app.test_client()


def _post(client: Any, delivery: Any, headers: dict[str, str] | None = None) -> Any:
    body = json.dumps(delivery).encode()
    return client.post(
        "/v1/webhooks/mastodon",
        data=body,
        content_type="application/json",
        headers=_signed(body) if headers is None else headers,
    )


def _wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_webhooks_refuse_missing_and_bad_signatures(receiver: Any) -> None:
    body = json.dumps(_report()).encode()
    for headers in ({}, {"X-Hub-Signature": "sha1=abc"}, _signed(body, "another-secret"), _signed(body + b" ")):
        response = receiver.post("/v1/webhooks/mastodon", data=body, content_type="application/json", headers=headers)
        assert (response.status_code, response.mimetype) == (401, "application/problem+json"), headers
        assert response.get_json()["type"] == "urn:botlens:problem:bad-signature"


def test_webhooks_score_a_report_store_it_and_note_it_back(
    receiver: Any, mastodon: FakeMastodon, tmp_path: Path
) -> None:
    delivery = _report()
    response = _post(receiver, delivery)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    target = delivery["object"]["target_account"]["account"]
    assert (body["scored"], body["report_id"], body["note"]) == (True, "8437", True)
    assert body["result"]["account_id"] == target["id"] and body["result"]["n_posts"] == 8
    # The same account and statuses through /v1/score give the same scores.
    direct = receiver.post(
        "/v1/score?format=mastodon", json={"account": target, "statuses": delivery["object"]["statuses"]}
    )
    assert direct.get_json()["scores"] == body["result"]["scores"]
    _wait_for(lambda: len(mastodon.notes) == 1)
    path, auth, sent = mastodon.notes[0]
    assert (path, auth) == ("/api/v1/admin/reports/8437/notes", "Bearer admin-token")
    assert sent["content"].startswith(f"botlens {body['result']['model_version']}: {body['result']['label']}")
    assert "Why" in sent["content"]
    assert receiver.application.extensions["botlens.store"].writer.flush(10)
    found = receiver.get(f"/v1/accounts/mastodon/{target['id']}")
    assert found.status_code == 200 and found.get_json()["scores"] == body["result"]["scores"]
    store = Store(sqlite_url(tmp_path / "data" / "botlens.sqlite3"))
    with store.engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(Result))]
    stored = json.dumps(rows, default=str)
    for secret in ("target@example.org", "192.0.2.7", "reporter@example.org"):
        assert secret not in stored


def test_webhooks_a_server_without_the_notes_api_is_counted_not_fatal(receiver: Any, mastodon: FakeMastodon) -> None:
    mastodon.answer = 404
    assert _post(receiver, _report()).status_code == 200
    _wait_for(lambda: len(mastodon.notes) == 1)

    def unsupported() -> float:
        for line in receiver.get("/metrics").get_data(as_text=True).splitlines():
            if line.startswith('botlens_report_notes_total{outcome="unsupported"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    _wait_for(lambda: unsupported() >= 1)


def test_webhooks_account_events_score_the_profile_and_other_events_are_ignored(
    receiver: Any, mastodon: FakeMastodon
) -> None:
    report = _report()
    created = {
        "event": "account.created",
        "created_at": report["created_at"],
        "object": report["object"]["target_account"],
    }
    body = _post(receiver, created).get_json()
    assert body["scored"] and body["result"]["n_posts"] == 0 and body["note"] is False
    ignored = _post(receiver, {"event": "status.created", "created_at": report["created_at"], "object": {}})
    assert ignored.status_code == 200 and ignored.get_json()["scored"] is False
    time.sleep(0.3)
    assert mastodon.notes == []  # only reports get notes


def test_webhooks_malformed_or_mixed_deliveries_are_422_in_the_deliverys_terms(receiver: Any) -> None:
    missing = _report()
    del missing["object"]["target_account"]
    response = _post(receiver, missing)
    assert response.status_code == 422 and "object.target_account" in response.get_json()["errors"]
    mixed = copy.deepcopy(_report())
    mixed["object"]["statuses"][2]["account"] = {**mixed["object"]["statuses"][2]["account"], "id": "999"}
    response = _post(receiver, mixed)
    assert response.status_code == 422, response.get_json()
    assert "object.statuses.2.account.id" in response.get_json()["errors"]
    not_json = receiver.post("/v1/webhooks/mastodon", data=b"{", content_type="application/json", headers=_signed(b"{"))
    assert not_json.status_code == 400


def test_webhooks_unconfigured_is_404(app_factory: Any) -> None:
    body = json.dumps(_report()).encode()
    response = (
        app_factory()
        .test_client()
        .post("/v1/webhooks/mastodon", data=body, content_type="application/json", headers=_signed(body))
    )
    assert response.status_code == 404 and response.get_json()["type"] == "urn:botlens:problem:not-configured"
