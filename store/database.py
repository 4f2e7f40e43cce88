"""The store's database: SQLite by default, PostgreSQL by URL; migrations, writes, lookups, feedback, retention."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from model.errors import NotStored, StoreUnavailable
from model.records import format_timestamp
from store.rows import StoredResult, epoch, utc
from store.tables import Deletion, Feedback, Result

T = TypeVar("T")

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps them equal): a store already there needs no
# Alembic at all, which spares every worker importing it (12 MB each).
HEAD_REVISION = "0004"
# One advisory lock id for migrations on PostgreSQL, so that workers and instances upgrading at once queue up.
_PG_MIGRATION_LOCK = 0x626F746C656E73
# Longest wait for a connection, a statement or a locked SQLite file before the store counts as unavailable.
TIMEOUT_SECONDS = 5
# Longest a request waits for the store, whatever the database does (a hung server answers nothing, and a
# server-side statement timeout cannot fire in a stopped server): beyond it the request gets a 503.
REQUEST_SECONDS = 2 * TIMEOUT_SECONDS
TIMEOUT_MS = TIMEOUT_SECONDS * 1000


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL for a configured one: ``postgresql://`` uses psycopg 3 (the driver installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_url(path: Path) -> str:
    """The URL of an embedded SQLite file."""
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (lookups) run while a worker's write-behind thread writes; NORMAL is durable
    # across process crashes and fast; busy_timeout makes workers queue for the write lock instead of failing.
    # Transactions are begun by _sqlite_begin (the driver's own would begin them lazily, as readers).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Writers take the write lock as they begin (BEGIN IMMEDIATE), so that what a write reads (deletions)
    # cannot change before it commits; readers begin deferred.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="botlens-store")


def bounded(method: Callable[..., T]) -> Callable[..., T]:
    """Runs a request's store call in a worker thread and waits at most ``REQUEST_SECONDS`` for it.

    Raises:
        StoreUnavailable: the call did not finish in time (it goes on in its thread; its connection
            returns to the pool when the database answers).
    """

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> T:
        future = _POOL.submit(method, *args, **kwargs)
        try:
            return future.result(timeout=REQUEST_SECONDS)
        except FutureTimeout as exc:
            raise StoreUnavailable(f"the score store did not answer within {REQUEST_SECONDS} seconds") from exc

    return call


@contextlib.contextmanager
def unavailable_on_error(action: str) -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnavailable(f"the score store could not {action}: {type(exc).__name__}") from exc


class Store:
    """One database of results and feedback; safe to share between threads, made anew after a fork."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.backend = make_url(self.url).get_backend_name()
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The engine, created on first use (so that forked workers never share connections)."""
        if self._engine is None:
            if self.backend == "sqlite":
                database = make_url(self.url).database
                if database and database != ":memory:":
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(self.url, connect_args={"timeout": TIMEOUT_SECONDS})
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = create_engine(
                    self.url,
                    pool_pre_ping=True,
                    pool_timeout=TIMEOUT_SECONDS,
                    connect_args={
                        "connect_timeout": TIMEOUT_SECONDS,
                        # Server-side bounds: a statement or a lock wait longer than this fails cleanly.
                        "options": f"-c statement_timeout={TIMEOUT_MS} -c lock_timeout={TIMEOUT_MS}",
                    },
                )
            self._engine = engine
        return self._engine

    def describe(self) -> str:
        """The database's URL with any password hidden (for logs)."""
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Closes pooled connections."""
        if self._engine is not None:
            self._engine.dispose()

    @contextlib.contextmanager
    def _migration_lock(self, connection: Connection) -> Iterator[None]:
        if self.backend == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK})
            yield
            return
        database = make_url(self.url).database
        if not database or database == ":memory:":
            yield
            return
        # Workers of one instance start together; a file lock makes one upgrade while the others wait.
        with open(f"{database}.migrate-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def migrate(self) -> None:
        """Brings the schema to the newest Alembic revision (idempotent; concurrent callers wait their turn).

        Raises:
            StoreUnavailable: the database cannot be reached or upgraded.
        """
        if self.revision() == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with unavailable_on_error("be migrated"), self.engine.begin() as connection:
            with self._migration_lock(connection):
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def revision(self) -> str | None:
        """The schema's Alembic revision, None for an empty database.

        Raises:
            StoreUnavailable: the database cannot be reached.
        """
        with unavailable_on_error("be reached"), self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def ping(self) -> None:
        """Checks the results table answers.

        Raises:
            StoreUnavailable: it does not.
        """
        with unavailable_on_error("be reached"), self.engine.connect() as connection:
            connection.execute(select(Result.id).limit(1)).all()

    @contextlib.contextmanager
    def _writing(self, exclusive: str | None = None) -> Iterator[Connection]:
        """A write transaction that no deletion can overtake: SQLite's write lock from its start (a deferred
        one that reads first fails at once, not after the busy timeout, when a writer committed meanwhile); on
        PostgreSQL a share lock on the deletions (a deletion waits for the writes begun before it, and the
        writes begun after it wait for it)."""
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection, connection.begin():
            if self.backend == "postgresql":
                connection.execute(text("LOCK TABLE deletions IN SHARE MODE"))
                if exclusive:
                    # One writer of this table at a time: its ids commit in the order they are given.
                    connection.execute(text(f"LOCK TABLE {exclusive} IN EXCLUSIVE MODE"))
            yield connection

    def writing(self, exclusive: str | None = None) -> contextlib.AbstractContextManager[Connection]:
        """A write transaction that no deletion can overtake, optionally alone in writing one table
        (``exclusive``: its ids then commit in order, as a stream's sequence must).

        Raises:
            StoreUnavailable: the database cannot be reached (on entering).
        """
        return self._writing(exclusive)

    def write(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Inserts result rows (``store.rows.result_row``) in one transaction; returns how many were inserted.

        Rows of an account deleted at or after they were scored are not written (the deletion holds for
        what was acknowledged before it, in every worker and instance), and a row whose ``result_key`` is
        stored already (a journal replayed twice) is skipped.

        Raises:
            StoreUnavailable: nothing was written.
        """
        if not rows:
            return 0
        with unavailable_on_error("write results"), self._writing() as connection:
            kept = _not_deleted(connection, rows)
            if not kept:
                return 0
            insert_ = (postgresql_insert if self.backend == "postgresql" else sqlite_insert)(Result)
            statement = insert_.on_conflict_do_nothing(index_elements=["result_key"]).returning(Result.id)
            # Counted from RETURNING: drivers' rowcount of a batched insert is not the rows inserted.
            return len(connection.execute(statement, kept).all())

    def _resolve(self, connection: Connection, platform: str, key: str) -> str:
        """The account id that ``key`` names: an id, else a handle (``@handle`` is always a handle)."""
        if not key.startswith("@"):
            found = connection.execute(
                select(Result.account_id).where(Result.platform == platform, Result.account_id == key).limit(1)
            ).scalar()
            if found is not None:
                return str(found)
        handle = key.removeprefix("@").lower()
        # A handle can move between accounts over time: it names the account that held it most recently.
        found = connection.execute(
            select(Result.account_id)
            .where(Result.platform == platform, Result.screen_name_key == handle)
            .order_by(Result.scored_at.desc(), Result.id.desc())
            .limit(1)
        ).scalar()
        if found is None:
            raise NotStored(f"No stored result for {platform} account {key!r}.")
        return str(found)

    @bounded
    def results(self, platform: str, key: str, history: bool = False) -> list[StoredResult]:
        """The newest stored result of an account (by id or handle), or all of them oldest first.

        Raises:
            NotStored: the account was never scored (or its results were deleted).
            StoreUnavailable: the database cannot be read.
        """
        with unavailable_on_error("be read"), self.engine.connect() as connection:
            account_id = self._resolve(connection, platform, key)
            if history:
                query = (
                    select(Result)
                    .where(Result.platform == platform, Result.account_id == account_id)
                    .order_by(Result.scored_at, Result.id)
                )
            else:
                query = _newest(platform, account_id, Result)
            return [_stored(row) for row in connection.execute(query).mappings()]

    @bounded
    def lookup(self, items: Iterable[tuple[str, str]]) -> list[StoredResult | None]:
        """The newest result for each (platform, id or ``@handle``), None where nothing is stored.

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        found: list[StoredResult | None] = []
        with unavailable_on_error("be read"), self.engine.connect() as connection:
            for platform, key in items:
                try:
                    account_id = self._resolve(connection, platform, key)
                except NotStored:
                    found.append(None)
                    continue
                row = connection.execute(_newest(platform, account_id, Result)).mappings().first()
                found.append(_stored(row) if row else None)
        return found

    @bounded
    def has_platform(self, platform: str) -> bool:
        """Whether some stored result or recorded deletion names this platform.

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        with unavailable_on_error("be read"), self.engine.connect() as connection:
            for column in (Result.platform, Deletion.platform):
                if connection.execute(select(column).where(column == platform).limit(1)).first() is not None:
                    return True
            return False

    @bounded
    def add_feedback(
        self,
        platform: str,
        account_id: str,
        label: str,
        note: str | None,
        key_name: str | None,
        now: float,
        key_id: str | None = None,
    ) -> dict[str, Any]:
        """Stores an analyst's label with the label the service last gave the account.

        Returns:
            The stored feedback, with ``stored_label`` (None if the account was never scored).

        Raises:
            StoreUnavailable: nothing was stored.
        """
        with unavailable_on_error("store feedback"), self._writing() as connection:
            latest = connection.execute(_newest(platform, account_id, Result.label, Result.model_version)).first()
            row = {
                "platform": platform,
                "account_id": account_id,
                "label": label,
                "note": note,
                "key_name": key_name,
                "key_id": key_id,
                "created_at": utc(now),
                "stored_label": latest.label if latest else None,
                "stored_model_version": latest.model_version if latest else None,
            }
            new_id = connection.execute(insert(Feedback).returning(Feedback.id), [row]).scalar_one()
        return _feedback_json({"id": new_id, **row})

    def feedback(self) -> Iterator[dict[str, Any]]:
        """Every feedback record, oldest first (for retraining exports).

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        with unavailable_on_error("be read"), self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=1000).execute(
                select(Feedback).order_by(Feedback.created_at, Feedback.id)
            )
            for row in rows.mappings():
                yield _feedback_json(row)

    @bounded
    def delete(self, platform: str, account_id: str, now: float) -> dict[str, int]:
        """Deletes everything stored about an account (results and feedback), for data-subject requests.

        The deletion is recorded: results scored before ``now`` that any worker or instance still holds
        are never written after it (``write``), so it removes everything acknowledged before it.

        Raises:
            NotStored: nothing was stored about it (the deletion is recorded all the same).
            StoreUnavailable: nothing was deleted.
        """
        with unavailable_on_error("delete"), self._writing() as connection:
            connection.execute(
                insert(Deletion), [{"platform": platform, "account_id": account_id, "deleted_at": utc(now)}]
            )
            results = connection.execute(
                delete(Result).where(Result.platform == platform, Result.account_id == account_id)
            ).rowcount
            feedback = connection.execute(
                delete(Feedback).where(Feedback.platform == platform, Feedback.account_id == account_id)
            ).rowcount
        if not results and not feedback:
            raise NotStored(f"Nothing is stored about {platform} account {account_id!r}.")
        return {"results": int(results), "feedback": int(feedback)}

    def prune(self, retention_days: float, now: float) -> int:
        """Deletes results scored more than ``retention_days`` before ``now``; returns how many.

        Raises:
            StoreUnavailable: nothing was deleted.
        """
        cutoff = utc(now) - timedelta(days=retention_days)
        with unavailable_on_error("prune"), self._writing() as connection:
            return int(connection.execute(delete(Result).where(Result.scored_at < cutoff)).rowcount)

    @bounded
    def count(self) -> int:
        """Stored results (for tests and the CLI).

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        with unavailable_on_error("be read"), self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Result)).scalar_one())


def _not_deleted(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows scored after the newest deletion of their account (all rows of accounts never deleted)."""
    accounts = sorted({(row["platform"], row["account_id"]) for row in rows})
    deleted: dict[tuple[str, str], Any] = {}
    for start in range(0, len(accounts), 500):
        part = accounts[start : start + 500]
        query = (
            select(Deletion.platform, Deletion.account_id, func.max(Deletion.deleted_at))
            .where(tuple_(Deletion.platform, Deletion.account_id).in_(part))
            .group_by(Deletion.platform, Deletion.account_id)
        )
        deleted.update({(p, a): at for p, a, at in connection.execute(query)})
    if not deleted:
        return list(rows)
    return [
        row
        for row in rows
        if (at := deleted.get((row["platform"], row["account_id"]))) is None or row["scored_at"] > at
    ]


def _newest(platform: str, account_id: str, *columns: Any) -> Select[Any]:
    """The query for an account's newest stored result (the given columns)."""
    return (
        select(*columns)
        .where(Result.platform == platform, Result.account_id == account_id)
        .order_by(Result.scored_at.desc(), Result.id.desc())
        .limit(1)
    )


def _stored(row: Mapping[Any, Any]) -> StoredResult:
    return StoredResult(
        id=row["id"],
        platform=row["platform"],
        account_id=row["account_id"],
        screen_name=row["screen_name"],
        model_version=row["model_version"],
        observed_at=row["observed_at"],
        scored_at=row["scored_at"],
        n_posts=row["n_posts"],
        label=row["label"],
        scores=row["scores"],
        reasons=row["reasons"],
        bot_type=row["bot_type"],
        bot_types=row["bot_types"],
        key_id=row["key_id"],
    )


def _feedback_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "platform": row["platform"],
        "account_id": row["account_id"],
        "label": row["label"],
        "note": row["note"],
        "key_name": row["key_name"],
        "key_id": row["key_id"],
        "created_at": format_timestamp(epoch(row["created_at"])),
        "stored_label": row["stored_label"],
        "stored_model_version": row["stored_model_version"],
    }
