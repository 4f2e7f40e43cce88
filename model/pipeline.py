"""The one path from request bodies to result slots, shared by the HTTP views, the CLI and Spark."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from model.coordination import ActionCollector, Coordination, Settings, coordinate
from model.errors import BotlensError
from model.platforms import to_native
from model.records import ScoringInput
from model.results import result
from model.scoring import Scorer
from model.validation import Validator

# Accounts validated and scored together in a batch: enough rows to amortise the model calls.
SCORE_CHUNK = 32
# Maps a refused item's error and 0-based index to the object in its slot (``model.problems.item_problem``).
Problem = Callable[[BotlensError, int], dict[str, Any]]


def named_account(fmt: str, raw: Any) -> str | None:
    """The account id a refused body names, where it can be read (so that its error row says whose it is)."""
    try:
        body = orjson.loads(raw) if isinstance(raw, (bytes, str)) else raw
        account = (body if fmt == "native" else to_native(fmt, body))["account"]
        found = account["id"]
    except Exception:
        return None
    return str(found) if isinstance(found, (str, int)) and not isinstance(found, bool) else None


def score_slots(
    scorer: Scorer,
    validator: Validator,
    fmt: str,
    raws: Sequence[Any],
    now: float,
    top_k: int,
    problem: Problem,
    on_scored: Callable[[list[dict[str, Any]]], None] | None = None,
    on_results: Callable[[list[ScoringInput], list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Scores bodies (parsed or undecoded JSON) in input order.

    Args:
        problem: Builds the slot of an item that failed validation from its error and 0-based index.
        on_scored: Told each chunk's scores (metrics).
        on_results: Told each chunk's valid items and their result objects, which it may amend (the store).

    Returns:
        One slot per body: its result, or ``problem(error, index)``.
    """
    slots: list[Any] = [None] * len(raws)
    # A chunk at a time: the decoded timelines of one chunk are dropped before the next is decoded, so
    # the live set (and the garbage collector's work) stays small however large the batch.
    for start in range(0, len(raws), SCORE_CHUNK):
        valid: list[tuple[int, ScoringInput]] = []
        for index in range(start, min(start + SCORE_CHUNK, len(raws))):
            try:
                valid.append((index, validator.request(fmt, raws[index], now)))
            except BotlensError as exc:
                slots[index] = problem(exc, index)
        scored = scorer.score([item for _, item in valid], top_k=top_k)
        if on_scored:
            on_scored(scored)
        results = [result(scorer.version, item, s) for (_, item), s in zip(valid, scored)]
        if on_results:
            on_results([item for _, item in valid], results)
        for (index, _), body in zip(valid, results):
            slots[index] = body
    return slots


@dataclass
class Collected:
    """A coordination input read: its actions, a slot per body (problems in place), and who is who.

    ``ids[row]`` is the account id of the action table's row ``row``, ``index_of[row]`` its body's position.
    """

    actions: ActionCollector = field(default_factory=ActionCollector)
    slots: list[Any] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    index_of: list[int] = field(default_factory=list)


def collect_actions(validator: Validator, fmt: str, raws: Iterable[Any], now: float, problem: Problem) -> Collected:
    """Validates bodies one at a time and keeps only their shared actions (so a file can stream through).

    Args:
        raws: Bodies (parsed or undecoded JSON); an item that is already an error (a line that is not
            JSON) gets its problem slot as it is.
        problem: Builds the slot of an item that failed from its error and 0-based index.
    """
    found = Collected()
    for index, raw in enumerate(raws):
        found.slots.append(None)
        try:
            if isinstance(raw, BotlensError):
                raise raw
            item = validator.request(fmt, raw, now)
        except BotlensError as exc:
            found.slots[index] = problem(exc, index)
            continue
        found.actions.add(item.posts)
        found.ids.append(item.account.id)
        found.index_of.append(index)
    return found


def coordination_response(collected: Collected, found: Coordination) -> dict[str, Any]:
    """The coordination response: a slot per input account (in input order) and the groups, strongest first."""
    ids, slots = collected.ids, collected.slots
    group_ids = [f"g{number}" for number in range(1, len(found.groups) + 1)]
    for row, position in enumerate(collected.index_of):
        group = int(found.group_of[row])
        slots[position] = {
            "account_id": ids[row],
            "coordination": round(float(found.scores[row]), 6),
            "group": group_ids[group] if group >= 0 else None,
        }
    groups = [
        {
            "id": group_ids[number],
            "accounts": [ids[member] for member in group.members],
            "score": round(group.score, 6),
            "evidence": group.evidence,
            "reasons": group.reasons,
        }
        for number, group in enumerate(found.groups)
    ]
    return {"accounts": slots, "groups": groups}


def coordination_slots(
    validator: Validator,
    fmt: str,
    raws: Sequence[Any],
    now: float,
    settings: Settings,
    problem: Problem,
) -> dict[str, Any]:
    """Finds coordinated groups among request bodies; a body that fails validation gets its problem slot.

    Returns:
        ``{"accounts": [slot per body], "groups": [...]}`` as the coordination route answers.
    """
    collected = collect_actions(validator, fmt, raws, now, problem)
    return coordination_response(collected, coordinate(collected.actions.table(), settings))
