"""Where a profile says it is, and that place's UTC offset: resolved offline from a shipped places table.

The table (``model/data/places.tsv.gz``) is built from GeoNames by ``model.training.gazetteer``:
cities, US states and countries with their time zones. A location such as ``Texas, USA``, ``Atlanta,
GA``, ``Санкт-Петербург, Россия`` or ``London`` is split at commas and slashes; the most specific part
that names a place wins (a city, if its country and state agree with the other parts; else a US state;
else a country). Free text that names no place (``near the lighthouse``, emoji) resolves to nothing.
"""

from __future__ import annotations

import functools
import gzip
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TABLE = Path(str(resources.files("model") / "data" / "places.tsv.gz"))
KIND_CITY, KIND_STATE, KIND_COUNTRY = "city", "state", "country"
_SPLIT = re.compile(r"[,/|;·•()\[\]]+|\s+-\s+")
_US_STATE_CODE = re.compile(r"^[a-z]{2}$")
# Kinds from the most specific.
_SPECIFIC = {KIND_CITY: 0, KIND_STATE: 1, KIND_COUNTRY: 2}


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: the part of the location that named it, its kind, time zone, country and US state."""

    name: str
    kind: str
    timezone: str
    country: str
    state: str

    def utc_offset_hours(self, epoch: float) -> float:
        """The place's UTC offset at a moment (daylight saving included), in hours."""
        offset = datetime.fromtimestamp(epoch, tz=UTC).astimezone(ZoneInfo(self.timezone)).utcoffset()
        return 0.0 if offset is None else offset.total_seconds() / 3600.0


def fold(text: str) -> str:
    """A name as the table keys it: case-folded, dots of abbreviations kept, spaces single."""
    return " ".join(text.casefold().split())


@functools.cache
def _table(path: Path = DEFAULT_TABLE) -> dict[str, tuple[str, str, str, str]]:
    out: dict[str, tuple[str, str, str, str]] = {}
    # Most names share a few thousand (kind, zone, country, state) entries: one tuple each.
    shared: dict[tuple[str, ...], tuple[str, str, str, str]] = {}
    for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines():
        key, *entry = line.split("\t")
        out[key] = shared.setdefault(tuple(entry), (entry[0], entry[1], entry[2], entry[3]))
    return out


@functools.lru_cache(maxsize=4096)
def resolve(location: str | None) -> Place | None:
    """The place a profile's free-text location names, or None.

    Args:
        location: The profile's location as written (``Texas, USA``).
    """
    if not location or not location.strip():
        return None
    table = _table()
    parts = [fold(part) for part in _SPLIT.split(location) if part.strip()]
    whole = fold(location)
    found: list[tuple[str, tuple[str, str, str, str]]] = []
    if whole in table:
        found.append((location.strip(), table[whole]))
    for index, part in enumerate(parts):
        entry = table.get(part) or table.get(part.strip(".!?*"))
        if entry is None and index > 0 and _US_STATE_CODE.match(part):
            # "Atlanta, GA": a two-letter part after a comma names a US state.
            entry = _state_by_code(part.upper())
        if entry is not None:
            found.append((part, entry))
    if not found:
        return None
    countries = {entry[2] for _, entry in found if entry[0] == KIND_COUNTRY}
    states = {entry[3] for _, entry in found if entry[0] == KIND_STATE}

    def agrees(entry: tuple[str, str, str, str]) -> bool:
        kind, _, country, state = entry
        if kind == KIND_COUNTRY:
            return True
        if countries and country not in countries:
            return False
        # A part naming a US state: a city must lie in it ("Paris, Texas" is not Paris, France).
        return not (kind == KIND_CITY and states and (country != "US" or state not in states))

    candidates = [(name, entry) for name, entry in found if agrees(entry)] or [
        (name, entry) for name, entry in found if entry[0] != KIND_CITY
    ]
    if not candidates:
        return None
    name, (kind, zone, country, state) = min(candidates, key=lambda c: _SPECIFIC[c[1][0]])
    return Place(name, kind, zone, country, state)


@functools.cache
def _state_by_code(code: str) -> tuple[str, str, str, str] | None:
    for kind, zone, country, state in _table().values():
        if kind == KIND_STATE and state == code:
            return (kind, zone, country, state)
    return None


def warm() -> None:
    """Reads the places table now, so that the first request with a location does not pay for it."""
    _table()
