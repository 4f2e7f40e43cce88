"""One renderer per result shape: the scored account's response object, and the same as flat columns.

The HTTP routes, the batch slots and the CLI's JSON lines carry :func:`result`; Parquet files and
Spark carry :func:`flat` rows (:data:`FLAT_COLUMNS`), which hold a refused record's problem in the
same columns; the store keeps :func:`reasons` of the response object. Every shape follows the heads
declared in ``model.heads``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from model.heads import HEAD_NAMES, TYPE_NAMES
from model.problems import summary
from model.records import ScoringInput, format_timestamp

# Flat columns and their types (Spark DDL names; the CLI maps them to Arrow's): one per result field,
# a score column per head, explanations as JSON text, and the problem of a record that was refused.
FLAT_COLUMNS: tuple[tuple[str, str], ...] = (
    # The record's line (JSON lines) or row (Parquet, Spark) in its input, from 1.
    ("line", "long"),
    ("account_id", "string"),
    ("platform", "string"),
    ("model_version", "string"),
    ("observed_at", "string"),
    ("n_posts", "long"),
    ("label", "string"),
    *((f"score_{name}", "double") for name in HEAD_NAMES),
    ("bot_type", "string"),
    *((f"type_{name}", "double") for name in TYPE_NAMES),
    ("top_reasons", "array<string>"),
    ("explanations", "string"),
    ("warnings", "array<string>"),
    ("error", "string"),
    ("problem", "string"),
)
FLAT_NAMES = tuple(name for name, _ in FLAT_COLUMNS)


def result(version: str, item: ScoringInput, scored: Mapping[str, Any]) -> dict[str, Any]:
    """The response object of one scored account (``scored`` is what ``Scorer.score`` gave for it)."""
    return {
        "account_id": item.account.id,
        "platform": item.account.platform,
        "model_version": version,
        "observed_at": format_timestamp(item.as_of),
        **scored,
    }


def reasons(result: Mapping[str, Any], per_head: int) -> dict[str, list[str]]:
    """Per head, the reasons of its strongest explanation entries, at most ``per_head`` of them."""
    explanations = result.get("explanations") or {}
    return {
        head: [entry["reason"] for entry in explanation.get("top_features", [])[:per_head]]
        for head, explanation in explanations.items()
    }


def flat(slot: Mapping[str, Any], account_id: str | None = None, line: int | None = None) -> dict[str, Any]:
    """A result or a problem slot as :data:`FLAT_COLUMNS` (a problem fills ``error`` and ``problem``).

    Args:
        slot: A :func:`result` object, or the problem object of a refused record.
        account_id: The account a refused record named, where it could be read.
        line: The record's line or row in its input, from 1.
    """
    row: dict[str, Any] = dict.fromkeys(FLAT_NAMES)
    row["line"] = line
    if "scores" not in slot:
        row.update(account_id=account_id, error=summary(slot), problem=orjson.dumps(slot).decode())
        return row
    for name in ("account_id", "platform", "model_version", "observed_at", "n_posts", "label", "warnings"):
        row[name] = slot[name]
    for name, score in slot["scores"].items():
        row[f"score_{name}"] = score
    kinds = slot.get("bot_types") or {}
    row["bot_type"] = kinds.get("leading")
    for name, score in (kinds.get("scores") or {}).items():
        row[f"type_{name}"] = score
    row["top_reasons"] = [entries[0] for entries in reasons(slot, 1).values() if entries]
    row["explanations"] = orjson.dumps(slot["explanations"]).decode()
    return row


def note(slot: Mapping[str, Any], reasons_per_head: int = 3) -> str:
    """A result in a few lines of plain text, for a moderator's report note.

    The label and every head's score, then the strongest reasons of the head the label names (or of
    each head, when the label names none), and the result's warnings.
    """
    scores = ", ".join(f"{name} {score:.2f}" for name, score in slot["scores"].items())
    lines = [f"botlens {slot['model_version']}: {slot['label']} ({scores}; {slot['n_posts']} posts read)."]
    kinds = slot.get("bot_types") or {}
    if slot["label"] == "bot" and kinds.get("leading"):
        lines.append(f"Leading bot type: {kinds['leading']} ({kinds['scores'][kinds['leading']]:.2f}).")
    why = reasons(slot, reasons_per_head)
    heads = [slot["label"]] if slot["label"] in why else list(why)
    for head in heads:
        if why.get(head):
            lines.append(f"Why ({head}): " + " ".join(why[head]))
    lines.extend(f"Note: {warning}" for warning in slot.get("warnings") or ())
    return "\n".join(lines)
