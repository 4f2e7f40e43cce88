"""The store's tables, declared once for queries and checked against the Alembic migrations by a test."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from model.contract import DEFAULT_LIMITS, PLATFORM_LENGTH

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")
# Strings as long as the contract allows by default (ids, handles, key names).
ID_LENGTH = DEFAULT_LIMITS.string_length


class Base(DeclarativeBase):
    """Declarative base with named constraints, so that migrations can refer to them on every backend."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Result(Base):
    """One scored result: scores, label and the top reasons, never post text or bios."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH))
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    # The handle as sent, and folded to lower case for lookups (handles are case-insensitive everywhere).
    screen_name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    screen_name_key: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    model_version: Mapped[str] = mapped_column(String(32))
    # Naive UTC on every backend (SQLite has no time zones).
    observed_at: Mapped[datetime] = mapped_column(DateTime())
    scored_at: Mapped[datetime] = mapped_column(DateTime())
    n_posts: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(16))
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    # {head: [reason sentence, ...]}: the strongest contributions in words.
    reasons: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    # The leading bot type and every type's score (null for results stored before types were scored).
    bot_type: Mapped[str | None] = mapped_column(String(32))
    bot_types: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # The API key that sent it (null when keys are off, and for results the CLI stored).
    key_id: Mapped[str | None] = mapped_column(String(64))
    # Made when the result is acknowledged: a result replayed from a worker's journal is stored once.
    result_key: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index(None, "platform", "account_id", "scored_at"),
        Index(None, "platform", "screen_name_key", "scored_at"),
        Index(None, "scored_at"),
        Index(None, "result_key", unique=True),
    )


class Feedback(Base):
    """An analyst's label for an account, with the key that sent it and the label the service gave then."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH))
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    label: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    key_name: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    key_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    # The stored label when the feedback arrived (null if the account was never scored).
    stored_label: Mapped[str | None] = mapped_column(String(16))
    stored_model_version: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index(None, "platform", "account_id"),
        Index(None, "created_at"),
    )


class Deletion(Base):
    """A deletion of everything stored about an account: results acknowledged before it are never written after it."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(PLATFORM_LENGTH))
    account_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    deleted_at: Mapped[datetime] = mapped_column(DateTime())

    __table_args__ = (Index(None, "platform", "account_id"),)


class Label(Base):
    """One signed AT Protocol label (or negation) the labeler published; its id is the stream's ``seq``."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    src: Mapped[str] = mapped_column(String(ID_LENGTH))
    uri: Mapped[str] = mapped_column(String(ID_LENGTH))
    val: Mapped[str] = mapped_column(String(128))
    neg: Mapped[bool] = mapped_column(Boolean())
    cts: Mapped[str] = mapped_column(String(32))
    sig: Mapped[bytes] = mapped_column(LargeBinary())

    __table_args__ = (Index(None, "uri", "val"),)
