"""The score store on SQLite (always) and PostgreSQL (when a server can be started here), and its writer."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from model.errors import NotStored, StoreUnavailable
from store import Store, result_row
from store.database import sqlite_url
from store.tables import Base
from store.writer import WriteBehind
from tests.servers import free_port

NOW = 1_780_000_000.0
DAY = 86400.0


def _result(account_id: str, label: str = "bot", bot: float = 0.9) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "platform": "twitter",
        "model_version": "9.9.9",
        "observed_at": "2026-05-01T12:00:00Z",
        "n_posts": 40,
        "scores": {"bot": bot, "troll": 0.1, "hijacked": 0.0},
        "label": label,
        "explanations": {
            "bot": {
                "base_value": 0.0,
                "raw_score": 2.0,
                "top_features": [{"feature": f"f{i}", "reason": f"bot reason {i}"} for i in range(5)],
            }
        },
        "warnings": [],
    }


def _pg_bin() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    return None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free port (skips when none can be started here)."""
    folder = _pg_bin()
    if folder is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (the postgres extra)")
    # Outside pytest's folders, which only root may enter: the server may run as another user.
    parent = Path(tempfile.mkdtemp(prefix="botlens-pg-"))
    data = parent / "data"
    port = free_port()
    # PostgreSQL refuses to run as root: as root, the server runs as an unprivileged user.
    user: dict[str, Any] = {}
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        parent.chmod(0o777)
        user = {"user": account.pw_uid, "group": account.pw_gid}
    try:
        subprocess.run(
            [str(folder / "initdb"), "-D", str(data), "-U", "botlens", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            **user,
        )
        subprocess.run(
            [
                str(folder / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
                "-w",
                "-l",
                str(data / "log"),
                "start",
            ],
            check=True,
            capture_output=True,
            **user,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"could not start a PostgreSQL server: {exc}")
    try:
        yield f"postgresql://botlens@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True, **user)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        found = Store(sqlite_url(tmp_path / "store" / "botlens.sqlite3"))
    else:
        found = Store(request.getfixturevalue("postgres_url"))
    found.migrate()
    with found.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    yield found
    found.dispose()


def test_store_migrations_match_the_declared_tables(store: Store) -> None:
    store.migrate()  # a second upgrade is a no-op
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_store_keeps_no_text_and_three_reasons(store: Store) -> None:
    row = result_row("Alice_B", _result("1"), NOW)
    assert row["screen_name_key"] == "alice_b"
    assert row["reasons"] == {"bot": ["bot reason 0", "bot reason 1", "bot reason 2"]}
    assert not {"text", "description", "posts", "explanations", "warnings"} & set(row)


def test_store_lookup_by_id_and_case_insensitive_handle(store: Store) -> None:
    store.write([result_row("Alice_B", _result("1", "human", 0.1), NOW)])
    store.write([result_row("Alice_B", _result("1", "bot", 0.9), NOW + 60)])
    store.write([result_row("carol", _result("2"), NOW)])
    latest = store.results("twitter", "1")
    assert [r.label for r in latest] == ["bot"]
    assert store.results("twitter", "ALICE_b")[0].account_id == "1"
    assert store.results("twitter", "@alice_b")[0].account_id == "1"
    assert [r.label for r in store.results("twitter", "alice_b", history=True)] == ["human", "bot"]
    assert latest[0].to_json()["scored_at"] == "2026-05-28T20:27:40Z"
    with pytest.raises(NotStored):
        store.results("mastodon", "1")
    found = store.lookup([("twitter", "@CAROL"), ("twitter", "404"), ("twitter", "1")])
    assert [f.account_id if f else None for f in found] == ["2", None, "1"]


def test_store_handle_moved_to_another_account_names_the_newest_holder(store: Store) -> None:
    store.write([result_row("handle", _result("old"), NOW)])
    store.write([result_row("handle", _result("new"), NOW + 10)])
    assert store.results("twitter", "handle")[0].account_id == "new"


def test_store_feedback_records_stored_label_and_exports(store: Store) -> None:
    store.write([result_row("a", _result("1", "bot"), NOW)])
    given = store.add_feedback("twitter", "1", "human", "my colleague", "analyst-key", NOW + 5)
    never = store.add_feedback("twitter", "99", "bot", None, None, NOW + 6)
    assert (given["stored_label"], given["stored_model_version"], given["key_name"]) == ("bot", "9.9.9", "analyst-key")
    assert never["stored_label"] is None
    assert [f["account_id"] for f in store.feedback()] == ["1", "99"]


def test_store_delete_removes_results_and_feedback(store: Store) -> None:
    store.write([result_row("a", _result("1"), NOW), result_row("b", _result("2"), NOW)])
    store.add_feedback("twitter", "1", "human", None, None, NOW)
    assert store.delete("twitter", "1") == {"results": 1, "feedback": 1}
    with pytest.raises(NotStored):
        store.results("twitter", "1")
    with pytest.raises(NotStored):
        store.delete("twitter", "1")
    assert store.count() == 1


def test_store_prune_deletes_only_results_past_retention(store: Store) -> None:
    store.write([result_row("a", _result("1"), NOW - 40 * DAY), result_row("b", _result("2"), NOW - 10 * DAY)])
    assert store.prune(30, NOW) == 1
    assert [r.account_id for r in store.lookup([("twitter", "1"), ("twitter", "2")]) if r] == ["2"]


def test_store_unreachable_raises_store_unavailable() -> None:
    down = Store(f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    with pytest.raises(StoreUnavailable):
        down.migrate()


class FlakyStore(Store):
    """A SQLite store whose writes fail while ``failing`` is set, and can be held mid-write."""

    def __init__(self, path: Path) -> None:
        super().__init__(sqlite_url(path))
        self.failing = False
        self.gate = threading.Event()
        self.gate.set()

    def write(self, rows: Any) -> None:
        self.gate.wait()
        if self.failing:
            raise StoreUnavailable("the score store could not write results: OperationalError")
        super().write(rows)

    def ping(self) -> None:
        if self.failing:
            raise StoreUnavailable("down")
        super().ping()


def test_writer_store_down_refuses_new_results_keeps_held_ones_and_recovers(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.sqlite3")
    store.migrate()
    unsaved: list[tuple[str, int]] = []
    writer = WriteBehind(store, retry_seconds=0.05, on_unsaved=lambda reason, n: unsaved.append((reason, n)))
    store.failing = True
    assert writer.submit([("a", _result("1"))], NOW)  # accepted: nothing known to be wrong yet
    deadline = time.monotonic() + 5
    while writer.up and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not writer.up
    assert not writer.submit([("b", _result("2")), ("c", _result("3"))], NOW)
    assert unsaved == [("down", 2)]
    store.failing = False
    assert writer.flush(5)
    assert writer.up
    assert [r.account_id for r in store.lookup([("twitter", "1"), ("twitter", "2")]) if r] == ["1"]


def test_writer_too_far_behind_refuses_with_full(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.sqlite3")
    store.migrate()
    unsaved: list[tuple[str, int]] = []
    writer = WriteBehind(store, max_pending=3, on_unsaved=lambda reason, n: unsaved.append((reason, n)))
    store.gate.clear()  # the writer thread blocks inside its first write
    assert writer.submit([("a", _result("1")), ("b", _result("2"))], NOW)
    assert not writer.submit([("c", _result("3")), ("d", _result("4"))], NOW)
    assert writer.submit([("e", _result("5"))], NOW)
    assert unsaved == [("full", 2)]
    store.gate.set()
    assert writer.flush(5)
    assert store.count() == 3


def test_writer_after_fork_starts_its_own_thread(tmp_path: Path) -> None:
    store = Store(sqlite_url(tmp_path / "s.sqlite3"))
    store.migrate()
    writer = WriteBehind(store)
    writer.start()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        ok = writer.submit([("x", _result("child"))], NOW) and writer.flush(5)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    assert store.results("twitter", "child")[0].account_id == "child"


def test_store_head_revision_is_the_newest_migration(store: Store) -> None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from store.database import HEAD_REVISION, MIGRATIONS

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
    assert store.revision() == HEAD_REVISION
