"""Training examples built from real accounts: splits, variants, hijack splices, missingness transplant.

Accounts are split by a hash of (dataset, account key) into train (70%), calibration (15%) and test
(15%); every variant of an account (truncated timeline, profile-only copy, a splice it is the victim
of) stays on its account's side.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import numpy as np

from model.features import FEATURE_NAMES, extract_features
from model.labels import HUMAN
from model.records import Account, Post, ScoringInput, Timeline, prepare
from model.training.datasets import LabelledAccount

MAX_POSTS = 1000
TRUNCATIONS = (1, 5, 20, 50, 200)
# Snapshot time for accounts that carry neither observed_at nor posts (their age is unknown anyway).
FALLBACK_NOW = {
    "cresci-2015": "2013-06-01T00:00:00Z",
    "cresci-2017": "2015-05-01T00:00:00Z",
    "kaggle-2017": "2017-03-31T00:00:00Z",
    "ira": "2017-11-01T00:00:00Z",
    "client-tweets": "2021-04-30T00:00:00Z",
}
_ACCOUNT_OPTIONAL = tuple(f.name for f in fields(Account) if f.name not in ("id", "platform"))
_POST_OPTIONAL = ("text", "source", "lang")


def split_of(dataset: str, key: str) -> str:
    """Account-level split from a hash, stable across runs and machines."""
    bucket = int(hashlib.sha256(f"{dataset}:{key}".encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 70 else "calib" if bucket < 85 else "test"


@dataclass(slots=True)
class Example:
    """One scored unit: an account (or a variant or splice of it) with its labels."""

    dataset: str
    key: str
    label: str
    group: str
    split: str
    variant: str
    item: ScoringInput
    hijacked: bool = False


def _with_posts(item: ScoringInput, posts: list[Post], as_of: float | None = None) -> ScoringInput:
    return ScoringInput(item.account, Timeline.from_posts(posts), item.as_of if as_of is None else as_of)


def base_examples(accounts: Iterable[LabelledAccount]) -> list[Example]:
    """Prepares every real account as supplied (its newest MAX_POSTS posts)."""
    out = []
    for acc in accounts:
        now = datetime.fromisoformat(FALLBACK_NOW.get(acc.dataset, "2020-01-01T00:00:00Z")).timestamp()
        item = prepare(acc.request, now=now)
        if len(item.posts) > MAX_POSTS:
            item = _with_posts(item, sorted(item.posts, key=lambda p: p.created_at)[-MAX_POSTS:])
        out.append(Example(acc.dataset, acc.key, acc.label, acc.group, split_of(acc.dataset, acc.key), "full", item))
    return out


def _has_profile(item: ScoringInput) -> bool:
    a = item.account
    return any(v is not None for v in (a.followers_count, a.created_at, a.statuses_count, a.description))


def variants(examples: Sequence[Example], rng: np.random.Generator) -> list[Example]:
    """Truncated and profile-only copies, so scores hold for any number of posts from 0 up."""
    out = []
    for ex in examples:
        posts = sorted(ex.item.posts, key=lambda p: p.created_at)
        shorter = [k for k in TRUNCATIONS if k < len(posts)]
        if shorter:
            k = int(rng.choice(shorter))
            out.append(replace(ex, variant=f"recent{k}", item=_with_posts(ex.item, posts[-k:])))
        if posts and _has_profile(ex.item):
            out.append(replace(ex, variant="profile", item=_with_posts(ex.item, [])))
    return out


# Accounts that also train as a dropout copy, and the probability each optional profile field of one is
# blanked. With every account copied, leave-one-dataset-out ROC AUC on cresci-2017 fell from 0.966 to 0.856;
# with a fifth, to 0.926, and an account sent with nothing but an id scores about the prior (docs/model.md).
DROPOUT_SHARE = 0.2
DROPOUT = 0.5


def dropout_variants(examples: Sequence[Example], rng: np.random.Generator) -> list[Example]:
    """Profile-only copies with optional profile fields blanked at random, from every class alike.

    A field a request does not carry must not read as a class: with the same random gaps in bots and
    humans, the trees learn that an absent field says nothing (an account sent with nothing but its id
    scored bot 0.013 without them, human by absence alone).
    """
    out = []
    for ex in examples:
        if not _has_profile(ex.item) or rng.random() >= DROPOUT_SHARE:
            continue
        blank: dict[str, Any] = {name: None for name in _ACCOUNT_OPTIONAL if rng.random() < DROPOUT}
        account = replace(ex.item.account, **blank)
        out.append(replace(ex, variant="dropout", item=ScoringInput(account, Timeline.from_posts([]), ex.item.as_of)))
    return out


def splice(victim: Example, donor: Example, rng: np.random.Generator) -> Example:
    """A semi-synthetic hijack: the victim's older posts, a silence, then the donor's posts as the victim's.

    The donor's timeline is shifted by whole weeks so its weekday and hour pattern survive.
    """
    old = sorted(victim.item.posts, key=lambda p: p.created_at)
    new = sorted(donor.item.posts, key=lambda p: p.created_at)
    keep_old = 0 if rng.random() < 0.15 else max(3, int(len(old) * rng.uniform(0.2, 0.8)))
    old = old[:keep_old]
    n_new = min(len(new), max(5, int(rng.integers(5, 300))))
    new = new[-n_new:]
    if rng.random() < 0.25:
        gap_days = rng.uniform(0.5, 7.0)
    else:
        gap_days = float(np.exp(rng.uniform(np.log(30), np.log(1500))))
    start = (old[-1].created_at if old else (victim.item.account.created_at or new[0].created_at)) + gap_days * 86400
    week = 7 * 86400
    shift = np.ceil((start - new[0].created_at) / week) * week
    shifted = [replace(p, created_at=p.created_at + shift) for p in new]
    posts = (old + shifted)[-MAX_POSTS:]
    item = ScoringInput(victim.item.account, Timeline.from_posts(posts), shifted[-1].created_at)
    return Example(
        victim.dataset,
        victim.key,
        victim.label,
        f"spliced:{donor.dataset}:{donor.label}",
        victim.split,
        "spliced",
        item,
        hijacked=True,
    )


# Share of splices whose donor comes from the victim's own dataset: then collection artefacts (era,
# sampling density, which fields exist) are the same on both sides of the splice and cannot be learnt
# as the signal; the rest mix datasets, as real takeovers mix operators.
SAME_DATASET_DONOR = 0.7


def hijack_examples(examples: Sequence[Example], rng: np.random.Generator) -> list[Example]:
    """One splice per human timeline of 10+ posts, with a donor of 5+ posts from the same split (any label)."""
    out = []
    by_split: dict[str, list[Example]] = defaultdict(list)
    by_dataset: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for ex in examples:
        if len(ex.item.posts) >= 5:
            by_split[ex.split].append(ex)
            by_dataset[(ex.split, ex.dataset)].append(ex)
    for ex in examples:
        if ex.label != HUMAN or len(ex.item.posts) < 10:
            continue
        same = by_dataset[(ex.split, ex.dataset)]
        pool = same if len(same) > 1 and rng.random() < SAME_DATASET_DONOR else by_split[ex.split]
        donor = pool[int(rng.integers(len(pool)))]
        while donor.key == ex.key and donor.dataset == ex.dataset:
            donor = pool[int(rng.integers(len(pool)))]
        out.append(splice(ex, donor, rng))
    return out


def availability(item: ScoringInput) -> frozenset[str]:
    """Which optional fields the item carries: ``account.<field>`` and ``posts.<field>`` (any post)."""
    present = {f"account.{name}" for name in _ACCOUNT_OPTIONAL if getattr(item.account, name) is not None}
    if item.posts:
        present.add("posts")
        # Timeline columns carry the Post field names.
        present |= {f"posts.{name}" for name in _POST_OPTIONAL if any(v is not None for v in getattr(item.posts, name))}
    return frozenset(present)


def transplant(item: ScoringInput, keep: frozenset[str]) -> ScoringInput:
    """The item with every optional field outside ``keep`` blanked (post fields only if ``keep`` has posts)."""
    blank: dict[str, Any] = {name: None for name in _ACCOUNT_OPTIONAL if f"account.{name}" not in keep}
    account = replace(item.account, **blank) if blank else item.account
    posts = item.posts
    if "posts" in keep:
        blank_posts: dict[str, Any] = {name: None for name in _POST_OPTIONAL if f"posts.{name}" not in keep}
        if blank_posts:
            posts = Timeline.from_posts([replace(p, **blank_posts) for p in posts])
    return ScoringInput(account, posts, item.as_of, item.future_posts, item.moved_from)


def feature_matrix(examples: Sequence[Example], n_jobs: int = 2) -> np.ndarray:
    """Features of every example, computed in parallel processes."""
    from joblib import Parallel, delayed

    chunks = [examples[i : i + 2000] for i in range(0, len(examples), 2000)]
    parts = Parallel(n_jobs=n_jobs)(delayed(_features_of)(chunk) for chunk in chunks)
    return np.vstack(parts) if parts else np.empty((0, len(FEATURE_NAMES)))


def _features_of(chunk: Sequence[Example]) -> np.ndarray:
    return np.vstack([extract_features(e.item.account, e.item.posts, e.item.as_of) for e in chunk])


def missingness_matched(
    examples: Sequence[Example],
    y: np.ndarray,
    X: np.ndarray,
    rng: np.random.Generator,
    within_dataset: bool,
    n_jobs: int = 2,
) -> np.ndarray:
    """Features after each example takes on the field gaps of a random example of the other class.

    Every example keeps only the fields that both it and its partner carry, so the pattern of
    missing fields has the same distribution in both classes: which dump an account came from
    (IRA lacks clients, Cresci-2017 spambots lack profiles, ...) can no longer stand in for its label.
    """
    pools: dict[tuple[str, int], list[frozenset[str]]] = defaultdict(list)
    avail = [availability(e.item) for e in examples]
    for e, t, a in zip(examples, y, avail):
        pools[(e.dataset if within_dataset else "", int(t))].append(a)
    changed, items = [], []
    for i, (e, t, a) in enumerate(zip(examples, y, avail)):
        pool = pools.get((e.dataset if within_dataset else "", 1 - int(t)))
        if not pool:
            continue
        keep = a & pool[int(rng.integers(len(pool)))]
        if keep != a:
            changed.append(i)
            items.append(replace(e, item=transplant(e.item, keep)))
    out = X.copy()
    if items:
        out[changed] = feature_matrix(items, n_jobs=n_jobs)
    return out
