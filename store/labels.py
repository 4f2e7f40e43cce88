"""The labeler's label stream: signed AT Protocol labels derived from the stored labels of Bluesky accounts.

An account's label values follow the newest thing known about it: its newest stored result, or an
analyst's feedback given after it (feedback that says ``human`` clears a ``likely-bot``). Whenever
results, feedback or a deletion change that, :func:`sync` publishes the difference: a label for each
value the account now has, a negation for each value it had and lost. Each published label is a row
whose id is the stream's ``seq``; rows are never changed, so a subscriber that backfills from 0 sees
every label and negation in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from model.labeling import timestamp, value_for
from store.database import Store, unavailable_on_error
from store.tables import Feedback, Label, Result

# The platform whose accounts get labels, and the label routes' limits.
PLATFORM = "bluesky"
MAX_PATTERNS = 50
MAX_LIMIT = 250
# Signs a label (without its sig): model.labeling.LabelSigner.sign.
Sign = Callable[[Mapping[str, Any]], bytes]


@dataclass(frozen=True)
class Labeler:
    """Who publishes the labels: the labeler account's DID and its signing function."""

    did: str
    sign: Sign


def wire(row: Any) -> dict[str, Any]:
    """A stored label as it goes out (``sig`` as bytes; ``neg`` only on negations)."""
    label: dict[str, Any] = {"ver": 1, "src": row.src, "uri": row.uri, "val": row.val, "cts": row.cts}
    if row.neg:
        label["neg"] = True
    label["sig"] = bytes(row.sig)
    return label


def _wanted(connection: Connection, account_id: str) -> set[str]:
    newest = connection.execute(
        select(Result.label, Result.scored_at)
        .where(Result.platform == PLATFORM, Result.account_id == account_id)
        .order_by(Result.scored_at.desc(), Result.id.desc())
        .limit(1)
    ).first()
    given = connection.execute(
        select(Feedback.label, Feedback.created_at)
        .where(Feedback.platform == PLATFORM, Feedback.account_id == account_id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(1)
    ).first()
    # An analyst's word after the newest score wins over it; a newer score wins over older feedback.
    label = given.label if given and (newest is None or given.created_at >= newest.scored_at) else None
    if label is None and newest is not None:
        label = newest.label
    value = value_for(label)
    return {value} if value else set()


def _active(connection: Connection, src: str, account_id: str) -> set[str]:
    newest = (
        select(func.max(Label.id))
        .where(Label.src == src, Label.uri == account_id)
        .group_by(Label.val)
        .scalar_subquery()
    )
    rows = connection.execute(select(Label.val, Label.neg).where(Label.id.in_(newest))).all()
    return {row.val for row in rows if not row.neg}


def sync(store: Store, labeler: Labeler, account_ids: Iterable[str], now: float) -> list[dict[str, Any]]:
    """Publishes the label changes of these Bluesky accounts (DIDs); returns the labels published.

    Idempotent: an account whose published labels already match its stored label gets nothing.

    Raises:
        StoreUnavailable: nothing was published.
    """
    accounts = sorted({a for a in account_ids if a.startswith("did:")})
    if not accounts:
        return []
    published: list[dict[str, Any]] = []
    cts = timestamp(now)
    with unavailable_on_error("publish labels"), store.writing(exclusive="labels") as connection:
        for account in accounts:
            wanted, active = _wanted(connection, account), _active(connection, labeler.did, account)
            changes = [(value, False) for value in sorted(wanted - active)]
            changes += [(value, True) for value in sorted(active - wanted)]
            for value, negation in changes:
                label = {"src": labeler.did, "uri": account, "val": value, "neg": negation, "cts": cts}
                row = {**label, "sig": labeler.sign(label)}
                connection.execute(insert(Label), [row])
                published.append(row)
    return published


def accounts_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The Bluesky accounts among result rows (what a write may have changed)."""
    return sorted({row["account_id"] for row in rows if row.get("platform") == PLATFORM})


def query(
    store: Store, patterns: Sequence[str], sources: Sequence[str], cursor: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """The current label of each (account, value) whose URI matches a pattern, after ``cursor``, by seq.

    A pattern ending in ``*`` matches by prefix (``*`` alone matches all), any other exactly; negations
    are current labels too (a client learns the label was withdrawn).

    Returns:
        The labels and the cursor of the next page (None when this page is the last).

    Raises:
        StoreUnavailable: the database cannot be read.
    """
    matches = [Label.uri.startswith(p[:-1], autoescape=True) if p.endswith("*") else Label.uri == p for p in patterns]
    newest = select(func.max(Label.id)).group_by(Label.src, Label.uri, Label.val)
    if not any(p == "*" for p in patterns):
        newest = newest.where(or_(*matches))
    if sources:
        newest = newest.where(Label.src.in_(list(sources)))
    with unavailable_on_error("be read"), store.engine.connect() as connection:
        rows = connection.execute(
            select(Label)
            .where(Label.id.in_(newest.scalar_subquery()), Label.id > cursor)
            .order_by(Label.id)
            .limit(limit + 1)
        )
        found = rows.all()
    page = found[:limit]
    return [wire(row) for row in page], (page[-1].id if len(found) > limit else None)


def since(store: Store, seq: int, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
    """Every label published after ``seq`` (at most ``limit``), in order, with its seq.

    Raises:
        StoreUnavailable: the database cannot be read.
    """
    with unavailable_on_error("be read"), store.engine.connect() as connection:
        rows = connection.execute(select(Label).where(Label.id > seq).order_by(Label.id).limit(limit))
        return [(row.id, wire(row)) for row in rows]


def latest(store: Store) -> int:
    """The newest seq (0 when nothing was published).

    Raises:
        StoreUnavailable: the database cannot be read.
    """
    with unavailable_on_error("be read"), store.engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(Label.id), 0))).scalar_one())


def accounts(store: Store) -> list[str]:
    """Every Bluesky account with a stored result, feedback or a published label (what a full sync covers).

    Raises:
        StoreUnavailable: the database cannot be read.
    """
    with unavailable_on_error("be read"), store.engine.connect() as connection:
        found: set[str] = set()
        for query in (
            select(Result.account_id).where(Result.platform == PLATFORM).distinct(),
            select(Feedback.account_id).where(Feedback.platform == PLATFORM).distinct(),
            select(Label.uri).distinct(),
        ):
            found.update(connection.execute(query).scalars())
        return sorted(found)
