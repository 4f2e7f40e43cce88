"""The score store on SQLite (always) and PostgreSQL (when a server can be started here), and its writer."""

from __future__ import annotations

import os
import signal
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
from tests import servers
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


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free port (skips when none can be started here)."""
    with servers.postgres() as server:
        yield server.url


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
    assert store.delete("twitter", "1", NOW + 1) == {"results": 1, "feedback": 1}
    with pytest.raises(NotStored):
        store.results("twitter", "1")
    with pytest.raises(NotStored):
        store.delete("twitter", "1", NOW + 2)
    assert store.count() == 1


def test_store_delete_holds_for_results_written_after_it_that_were_scored_before(store: Store) -> None:
    with pytest.raises(NotStored):
        store.delete("twitter", "1", NOW)  # nothing stored yet: recorded all the same
    late = result_row("a", _result("1"), NOW - 0.001)  # acknowledged before the deletion, written after
    fresh = result_row("a", _result("1"), NOW + 0.001)  # scored after it: new data, kept
    other = result_row("b", _result("2"), NOW - 5)
    assert store.write([late, other, fresh]) == 2
    assert [r.scored_at.timestamp() for r in store.results("twitter", "1", history=True)] == [
        pytest.approx(NOW + 0.001)
    ]
    assert store.count() == 2


def test_store_write_twice_stores_a_result_once(store: Store) -> None:
    row = result_row("a", _result("1"), NOW, "key-7")
    assert store.write([row]) == 1
    assert store.write([dict(row)]) == 0  # a journal replayed after its rows were written
    (stored,) = store.results("twitter", "1", history=True)
    assert stored.key_id == "key-7" and stored.to_json(with_key=True)["key_id"] == "key-7"
    assert "key_id" not in stored.to_json()


def test_store_has_platform_reads_results_and_deletions(store: Store) -> None:
    assert not store.has_platform("fediverse")
    store.write([result_row("a", {**_result("1"), "platform": "fediverse"}, NOW)])
    with pytest.raises(NotStored):
        store.delete("somewhere", "9", NOW)
    assert store.has_platform("fediverse") and store.has_platform("somewhere")
    assert not store.has_platform("twiter")


def test_store_feedback_records_the_key_id(store: Store) -> None:
    given = store.add_feedback("twitter", "1", "bot", None, "analyst", NOW, "key-3")
    assert given["key_id"] == "key-3"
    assert [f["key_id"] for f in store.feedback()] == ["key-3"]


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


def test_writer_journal_of_a_killed_process_is_replayed_once(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.sqlite3")
    store.migrate()
    pending = tmp_path / "pending"
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which dies with results unwritten
        store.gate.clear()  # its writer blocks in the database: the results are only in the journal
        writer = WriteBehind(store, journal_dir=pending)
        accepted = writer.submit([(f"h{i}", _result(str(i))) for i in range(5)], NOW, "key-1")
        accepted = accepted and writer.submit([("h5", _result("5"))], NOW + 1)
        os.kill(os.getpid(), signal.SIGKILL if accepted else signal.SIGTERM)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL  # it accepted all six
    assert store.count() == 0 and len(list(pending.glob("*.journal"))) == 1
    first, second = WriteBehind(store, journal_dir=pending), WriteBehind(store, journal_dir=pending)
    assert first.replay() == 6
    assert second.replay() == 0  # gone once replayed
    assert store.count() == 6
    assert store.results("twitter", "3")[0].key_id == "key-1"
    assert not list(pending.glob("*.journal"))


def test_writer_journal_written_rows_are_dropped_and_a_live_one_is_not_replayed(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "s.sqlite3")
    store.migrate()
    pending = tmp_path / "pending"
    live = WriteBehind(store, journal_dir=pending)
    assert live.submit([("a", _result("1"))], NOW) and live.flush(5)
    store.gate.clear()
    assert live.submit([("b", _result("2"))], NOW)
    # Another worker starting now does not take a live worker's journal for an orphan.
    assert WriteBehind(store, journal_dir=pending).replay() == 0
    store.gate.set()
    assert live.close(5)
    assert store.count() == 2
    assert not list(pending.glob("*.journal"))  # closed with everything written: nothing left


def test_journal_line_cut_short_is_skipped(tmp_path: Path) -> None:
    from store import journal

    log = journal.Journal(tmp_path)
    log.append([result_row("a", _result("1"), NOW)])
    (path,) = tmp_path.glob("*.journal")
    with open(path, "ab") as handle:
        handle.write(b'2 [{"platform": "twit')  # a kill in the middle of a write
    rows = journal.read(path)
    assert [r["account_id"] for r in rows] == ["1"] and rows[0]["scored_at"] == result_row("a", _result("1"), NOW)[
        "scored_at"
    ]


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
