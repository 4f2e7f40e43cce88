"""A BotometerLite-style baseline for the bot head: a random forest on 20 profile features.

After Yang et al. (2020), "Scalable and Generalizable Social Bot Detection through Data Selection":
counts, flags, growth rates over the account's age and screen-name and name statistics of the user
object alone. Their ``profile_use_background_image`` is not in our contract (the avatar's
``default_profile_image`` stands in) and their screen-name likelihood, learnt from 2 million names,
is replaced by the handle's character entropy. Evaluation (``model.training.evaluate``) trains it on exactly
the rows the bot head trains on and tests it on the same accounts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from model.records import ScoringInput

DAY = 86400.0
MISSING = -1.0
FEATURE_NAMES = (
    "statuses_count",
    "followers_count",
    "friends_count",
    "favourites_count",
    "listed_count",
    "default_profile",
    "default_profile_image",
    "verified",
    "tweet_freq",
    "followers_growth_rate",
    "friends_growth_rate",
    "favourites_growth_rate",
    "listed_growth_rate",
    "followers_friends_ratio",
    "screen_name_length",
    "screen_name_digits",
    "name_length",
    "name_digits",
    "description_length",
    "screen_name_entropy",
)


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values()) if text else 0.0


def _num(value: Any) -> float:
    return MISSING if value is None else float(value)


def profile_row(item: ScoringInput) -> list[float]:
    """The 20 baseline features of one account (-1 where the profile does not say)."""
    a = item.account
    age = None if a.created_at is None else max((item.as_of - a.created_at) / DAY, 1.0)

    def rate(count: int | None) -> float:
        return MISSING if count is None or age is None else count / age

    ratio = (
        MISSING if a.followers_count is None or a.friends_count is None else a.followers_count / max(a.friends_count, 1)
    )
    handle, name = a.screen_name, a.name
    return [
        _num(a.statuses_count),
        _num(a.followers_count),
        _num(a.friends_count),
        _num(a.favourites_count),
        _num(a.listed_count),
        _num(a.default_profile),
        _num(a.default_profile_image),
        _num(a.verified),
        rate(a.statuses_count),
        rate(a.followers_count),
        rate(a.friends_count),
        rate(a.favourites_count),
        rate(a.listed_count),
        ratio,
        MISSING if handle is None else float(len(handle)),
        MISSING if handle is None else float(sum(c.isdigit() for c in handle)),
        MISSING if name is None else float(len(name)),
        MISSING if name is None else float(sum(c.isdigit() for c in name)),
        MISSING if a.description is None else float(len(a.description)),
        MISSING if handle is None else _entropy(handle),
    ]


def profile_matrix(items: Sequence[ScoringInput]) -> np.ndarray:
    """Baseline features of many accounts, one row each."""
    return np.array([profile_row(item) for item in items], dtype=float).reshape(len(items), len(FEATURE_NAMES))


def fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, seed: int = 0, n_jobs: int = 2) -> Any:
    """The baseline forest (BotometerLite: 100 trees, default depth) fitted on profile rows.

    Args:
        X: Rows from :func:`profile_matrix`.
        y: 1 for bot, 0 for human.
        weights: Per-row weights (the bot head's, so both models see the same balance of sources).
        seed: Random state, for repeatable runs.
        n_jobs: Worker processes.

    Returns:
        A fitted ``sklearn.ensemble.RandomForestClassifier``.
    """
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=n_jobs)
    return forest.fit(X, y, sample_weight=weights)


def bot_probability(forest: Any, X: np.ndarray) -> np.ndarray:
    """The forest's bot probability for each row (class order read from the forest)."""
    column = list(forest.classes_).index(1)
    return np.asarray(forest.predict_proba(X)[:, column])


# The tuned forest's grid: BotometerLite's forest with three times the trees, its leaf size and split
# features chosen by cross-validation, each dataset weighing the same or not.
TUNED_TREES = 300
TUNED_GRID = tuple(
    {"min_samples_leaf": leaf, "max_features": features, "per_dataset": weighted}
    for leaf in (1, 3, 5)
    for features in ("sqrt", 0.5)
    for weighted in (False, True)
)


def fit_tuned(
    X: np.ndarray, y: np.ndarray, datasets: Sequence[str], seed: int = 0, n_jobs: int = 2
) -> tuple[Any, dict[str, Any]]:
    """A tuned profile forest: 300 trees, its settings chosen by 3-fold cross-validation (ROC AUC) on the rows.

    The ``verified`` column is blanked: the bot head may not read it (the Bot Repository's verified humans
    differ from every bot set by it alone), and so neither may the forest it is compared with.

    Returns:
        The forest refitted on every row with the chosen settings, and those settings.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X = without_verified(X)
    names = np.asarray(datasets)
    weights = _dataset_weights(names, y)
    best, chosen = -1.0, TUNED_GRID[0]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(X, y))
    for settings in TUNED_GRID:
        aucs = []
        for train_rows, test_rows in folds:
            forest = RandomForestClassifier(
                n_estimators=100,
                min_samples_leaf=settings["min_samples_leaf"],
                max_features=settings["max_features"],
                random_state=seed,
                n_jobs=n_jobs,
            ).fit(X[train_rows], y[train_rows], sample_weight=weights[train_rows] if settings["per_dataset"] else None)
            aucs.append(roc_auc_score(y[test_rows], forest.predict_proba(X[test_rows])[:, 1]))
        if float(np.mean(aucs)) > best:
            best, chosen = float(np.mean(aucs)), settings
    forest = RandomForestClassifier(
        n_estimators=TUNED_TREES,
        min_samples_leaf=chosen["min_samples_leaf"],
        max_features=chosen["max_features"],
        random_state=seed,
        n_jobs=n_jobs,
    ).fit(X, y, sample_weight=weights if chosen["per_dataset"] else None)
    return forest, {**chosen, "cv_auc": best}


def without_verified(X: np.ndarray) -> np.ndarray:
    """Profile rows with the ``verified`` column blanked (-1)."""
    out = X.copy()
    out[:, FEATURE_NAMES.index("verified")] = MISSING
    return out


def _dataset_weights(names: np.ndarray, y: np.ndarray) -> np.ndarray:
    cells = [(name, int(t)) for name, t in zip(names.tolist(), y.tolist())]
    counts = Counter(cells)
    w = np.array([1.0 / counts[c] for c in cells])
    return w * (len(w) / w.sum())
