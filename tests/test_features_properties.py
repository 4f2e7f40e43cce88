"""Property-based checks of extract_features on arbitrary valid records (hypothesis)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.features import MISSING, extract_features
from model.features.text import _LINKS_MENTIONS, _NON_WORD, duplicate_share, normalised_texts
from model.records import Account, Post

T_MIN, T_MAX = 1_136_073_600.0, 1_900_000_000.0
texts = st.none() | st.text(max_size=60)
small = st.none() | st.integers(min_value=0, max_value=2**63 - 1)
flags = st.none() | st.booleans()

accounts = st.builds(
    Account,
    id=st.text(min_size=1, max_size=10),
    screen_name=texts,
    name=texts,
    description=texts,
    lang=st.none() | st.sampled_from(["en", "ru", "it"]),
    created_at=st.none() | st.floats(T_MIN, T_MAX),
    followers_count=small,
    friends_count=small,
    statuses_count=small,
    favourites_count=small,
    listed_count=small,
    verified=flags,
    default_profile=flags,
    default_profile_image=flags,
)
posts = st.builds(
    Post,
    created_at=st.floats(T_MIN, T_MAX),
    id=st.none() | st.text(max_size=5),
    text=texts,
    source=st.none() | st.sampled_from(["Twitter Web App", "dlvr.it", "Twitter for iPhone", "custom app", ""]),
    lang=st.none() | st.sampled_from(["en", "ru", "de"]),
    is_retweet=st.booleans(),
    is_reply=st.booleans(),
    is_quote=st.booleans(),
    hashtags=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    mentions=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    urls=st.lists(
        st.sampled_from(["https://a.example/x", "http://t.co/y", "b.org", "::", "https://[bad"]), max_size=3
    ).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(
    account=accounts, items=st.lists(posts, max_size=60), as_of=st.floats(T_MIN, T_MAX), seed=st.integers(0, 2**32 - 1)
)
def test_extract_features_finite_and_order_independent(
    account: Account, items: list[Post], as_of: float, seed: int
) -> None:
    vec = extract_features(account, items, as_of)
    assert np.isfinite(vec).all()
    assert ((vec >= 0) | (vec == MISSING)).all()
    shuffled = list(items)
    np.random.default_rng(seed).shuffle(shuffled)
    np.testing.assert_array_equal(extract_features(account, shuffled, as_of), vec)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet=st.characters(blacklist_categories=()), max_size=40)
        | st.sampled_from(
            ["ΣΑΣ x", "http://a.b/c d", "@me hi", "İstanbul", "12 ab", "\x1c", "a\x1cb", "ǅ", "\ud800 x"]
        ),
        max_size=8,
    )
)
def test_normalised_texts_equal_one_regex_pass_per_text(texts: list[str]) -> None:
    # The joined, table-driven normalisation must give exactly the per-text regex definition.
    expected = [" ".join(_NON_WORD.sub(" ", _LINKS_MENTIONS.sub(" ", x.lower())).split()) for x in texts]
    assert normalised_texts(texts) == expected


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(
        st.sampled_from(
            ["Buy now!", "buy  NOW", "buy now http://x.y/1", "\tbuy\nnow 2", "ab c", "a bc", "", "  ", "\x1c"]
        )
        | st.text(alphabet=" aAb\t\n.1@#", max_size=12),
        max_size=10,
    )
)
def test_duplicate_share_equals_counting_normalised_texts(texts: list[str]) -> None:
    # Only texts equal without spaces are folded: the share must be the one counted over every folded text.
    folded = [x for x in normalised_texts(texts) if x]
    counts = Counter(folded)
    expected = sum(c for c in counts.values() if c > 1) / len(folded) if len(folded) >= 2 else MISSING
    assert duplicate_share(texts) == expected
