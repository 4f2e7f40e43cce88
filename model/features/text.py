"""Text normalisation for repeated texts and shared actions, and the domain of a link."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from model.features.table import MISSING

_LINKS_MENTIONS = re.compile(r"https?://\S+|@\w+")

# Digits and punctuation become spaces: duplicate texts differ in counters, links and emphasis.
_NON_WORD = re.compile(r"[^\w\s]|\d")

_WRAPPER_HOSTS = frozenset({"t.co"})

# Host of an absolute or scheme-less link, without user info or port.
_HOST = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?(?://)?(?:[^/?#@]*@)?([^/?#:@\s]+)")


def link_domain(url: str) -> str:
    """The host of a link without ``www.``; empty for platform link wrappers (t.co) that hide it."""
    match = _HOST.match(url)
    host = match.group(1).lower() if match else ""
    if host in _WRAPPER_HOSTS:
        # Platform link wrappers say nothing about the destination.
        return ""
    return host[4:] if host.startswith("www.") else host


# Joins texts for one pass of each normalisation step: whitespace to the regexes and str.split, kept by
# _NON_WORD, ignored by case mapping, and absent from real posts (a text holding it takes the slow road).
SEPARATOR = "\x1c"


def _spaced_out(code: int) -> bool:
    """Whether normalisation turns this code point into a plain space: ``_NON_WORD`` matches it, or it is
    whitespace other than the separator (which ``str.split`` would fold anyway)."""
    char = chr(code)
    return _NON_WORD.match(char) is not None or (char.isspace() and char != SEPARATOR)


# Per code point: 0 kept, 1 turned into a space (``_spaced_out``), 2 not yet classified.
# Filled on demand: classifying all 1.1 million code points up front would slow the start.
_CODE_CLASS = np.full(0x110000, 2, dtype=np.uint8)

# The same for ASCII text as bytes: bytes.translate is a plain table lookup.
_SPACE_OUT_ASCII = bytes(32 if _spaced_out(code) else code for code in range(128)) + bytes(range(128, 256))


def _space_out(text: str) -> str:
    """Replaces every character ``_NON_WORD`` matches (digits, punctuation, symbols) and all whitespace but
    the separator with a plain space."""
    if text.isascii():
        return text.encode("ascii").translate(_SPACE_OUT_ASCII).decode("ascii")
    # One vectorised table lookup over the code points instead of a regex substitution per character.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _CODE_CLASS[codes]
    unknown = classes == 2
    if unknown.any():
        for code in np.unique(codes[unknown]).tolist():
            _CODE_CLASS[code] = _spaced_out(code)
        classes = _CODE_CLASS[codes]
    return np.where(classes == 1, np.uint32(32), codes).tobytes().decode("utf-32-le", "surrogatepass")


def _without_links(low: str) -> str:
    return _LINKS_MENTIONS.sub(" ", low) if "@" in low or "http" in low else low


def _normalise_text(text: str) -> str:
    # Links and mentions out, then digits and non-word characters, then whitespace folded.
    return " ".join(_space_out(_without_links(text.lower())).split())


def _spaced(texts: list[str]) -> str | None:
    """The texts joined by the separator, lowered, without links or mentions, and every other dropped
    character a plain space: one pass of each step over all texts. None when a text holds the separator
    (then each is normalised on its own)."""
    joined = SEPARATOR.join(texts)
    if len(texts) < 2 or joined.count(SEPARATOR) != len(texts) - 1:
        return None
    return _space_out(_without_links(joined.lower()))


def normalised_texts(texts: list[str]) -> list[str]:
    """Texts without links, mentions, digits, punctuation or case (``_normalise_text``), each step run once over all."""
    spaced = _spaced(texts)
    if spaced is None:
        return [_normalise_text(x) for x in texts]
    return [" ".join(part.split()) for part in spaced.split(SEPARATOR)]


def duplicate_share(texts: list[str]) -> float:
    """Share of the texts whose normalised form (``normalised_texts``, empty ones left out) repeats;
    ``MISSING`` below two non-empty texts.

    Folding each text's spaces is most of the normalisation's cost, and only repeats need it: two texts
    normalise alike only if they are equal with their spaces removed, so only such texts are folded.
    """
    spaced = _spaced(texts)
    if spaced is None:
        parts = [_normalise_text(x) for x in texts]
        squeezed = [part.replace(" ", "") for part in parts]
    else:
        # Spaces are the only whitespace left, so removing them leaves what folding cannot change.
        parts = spaced.split(SEPARATOR)
        squeezed = spaced.replace(" ", "").split(SEPARATOR)
    counts = Counter(squeezed)
    kept = len(squeezed) - counts.pop("", 0)
    if kept < 2:
        return MISSING
    alike = {key for key, count in counts.items() if count > 1}
    if not alike:
        return 0.0
    exact = Counter(" ".join(part.split()) for part, key in zip(parts, squeezed) if key in alike)
    return sum(count for count in exact.values() if count > 1) / kept


def folded_tags(tags: list[str]) -> list[str]:
    """Hashtags case-folded and without ``#``, each step one pass over all of them."""
    joined = SEPARATOR.join(tags)
    if not tags or joined.count(SEPARATOR) != len(tags) - 1:
        return [tag.lower().lstrip("#") for tag in tags]
    folded = joined.lower().split(SEPARATOR)
    return [tag.lstrip("#") for tag in folded] if "#" in joined else folded
