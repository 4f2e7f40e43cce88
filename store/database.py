"""The store's database: SQLite by default, PostgreSQL by URL; migrations, writes, lookups, feedback, retention."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, create_engine, delete, event, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from model.errors import NotStored, StoreUnavailable
from model.records import format_timestamp
from store.rows import StoredResult, epoch, utc
from store.tables import Feedback, Result

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps them equal): a store already there needs no
# Alembic at all, which spares every worker importing it (12 MB each).
HEAD_REVISION = "0001"
# One advisory lock id for migrations on PostgreSQL, so that workers and instances upgrading at once queue up.
_PG_MIGRATION_LOCK = 0x626F746C656E73
# Longest wait for a connection or a locked SQLite file before the store counts as unavailable.
TIMEOUT_SECONDS = 5


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
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={TIMEOUT_SECONDS * 1000}")
    cursor.close()


@contextlib.contextmanager
def _unavailable_on_error(action: str) -> Iterator[None]:
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
            else:
                engine = create_engine(self.url, pool_pre_ping=True, connect_args={"connect_timeout": TIMEOUT_SECONDS})
            self._engine = engine
        return self._engine

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
        with _unavailable_on_error("be migrated"), self.engine.begin() as connection:
            with self._migration_lock(connection):
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def revision(self) -> str | None:
        """The schema's Alembic revision, None for an empty database.

        Raises:
            StoreUnavailable: the database cannot be reached.
        """
        with _unavailable_on_error("be reached"), self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def ping(self) -> None:
        """Checks the results table answers.

        Raises:
            StoreUnavailable: it does not.
        """
        with _unavailable_on_error("be reached"), self.engine.connect() as connection:
            connection.execute(select(Result.id).limit(1)).all()

    def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Inserts result rows (``store.rows.result_row``) in one transaction.

        Raises:
            StoreUnavailable: nothing was written.
        """
        if not rows:
            return
        with _unavailable_on_error("write results"), self.engine.begin() as connection:
            connection.execute(insert(Result), list(rows))

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

    def results(self, platform: str, key: str, history: bool = False) -> list[StoredResult]:
        """The newest stored result of an account (by id or handle), or all of them oldest first.

        Raises:
            NotStored: the account was never scored (or its results were deleted).
            StoreUnavailable: the database cannot be read.
        """
        with _unavailable_on_error("be read"), self.engine.connect() as connection:
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

    def lookup(self, items: Iterable[tuple[str, str]]) -> list[StoredResult | None]:
        """The newest result for each (platform, id or ``@handle``), None where nothing is stored.

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        found: list[StoredResult | None] = []
        with _unavailable_on_error("be read"), self.engine.connect() as connection:
            for platform, key in items:
                try:
                    account_id = self._resolve(connection, platform, key)
                except NotStored:
                    found.append(None)
                    continue
                row = connection.execute(_newest(platform, account_id, Result)).mappings().first()
                found.append(_stored(row) if row else None)
        return found

    def add_feedback(
        self, platform: str, account_id: str, label: str, note: str | None, key_name: str | None, now: float
    ) -> dict[str, Any]:
        """Stores an analyst's label with the label the service last gave the account.

        Returns:
            The stored feedback, with ``stored_label`` (None if the account was never scored).

        Raises:
            StoreUnavailable: nothing was stored.
        """
        with _unavailable_on_error("store feedback"), self.engine.begin() as connection:
            latest = connection.execute(_newest(platform, account_id, Result.label, Result.model_version)).first()
            row = {
                "platform": platform,
                "account_id": account_id,
                "label": label,
                "note": note,
                "key_name": key_name,
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
        with _unavailable_on_error("be read"), self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=1000).execute(
                select(Feedback).order_by(Feedback.created_at, Feedback.id)
            )
            for row in rows.mappings():
                yield _feedback_json(row)

    def delete(self, platform: str, account_id: str) -> dict[str, int]:
        """Deletes everything stored about an account (results and feedback), for data-subject requests.

        Raises:
            NotStored: nothing was stored about it.
            StoreUnavailable: nothing was deleted.
        """
        with _unavailable_on_error("delete"), self.engine.begin() as connection:
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
        with _unavailable_on_error("prune"), self.engine.begin() as connection:
            return int(connection.execute(delete(Result).where(Result.scored_at < cutoff)).rowcount)

    def count(self) -> int:
        """Stored results (for tests and the CLI).

        Raises:
            StoreUnavailable: the database cannot be read.
        """
        with _unavailable_on_error("be read"), self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Result)).scalar_one())


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
    )


def _feedback_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "platform": row["platform"],
        "account_id": row["account_id"],
        "label": row["label"],
        "note": row["note"],
        "key_name": row["key_name"],
        "created_at": format_timestamp(epoch(row["created_at"])),
        "stored_label": row["stored_label"],
        "stored_model_version": row["stored_model_version"],
    }
