"""Fitting one head: hyper-parameters by cross-validation, the booster, its calibration and threshold.

Hyper-parameters are chosen per head by 3-fold cross-validation grouped by account on the train
split; each head is then fitted on the train split, calibrated (Platt) on the calibration split
and measured on the test split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from model.features import FEATURE_NAMES, MISSING
from model.heads import BY_NAME
from model.labels import HUMAN
from model.scoring import calibrate
from model.scoring.calibration import calibrate_rows
from model.training import datasets, metrics
from model.training.examples import Example, missingness_matched
from model.training.recipes import recipe

SEED = 20261122
TARGET_FPR = 0.01
# Calibrated probabilities stay inside this range: a finite calibration set never warrants certainty.
PROB_FLOOR, PROB_CEIL = 0.0001, 0.9999
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
    "seed": SEED,
}
# Tree shapes tried by cross-validation, smallest first (TreeSHAP cost grows with leaves and depth).
TREE_GRID = ({"num_leaves": 7, "max_depth": 3}, {"num_leaves": 15, "max_depth": 4}, {"num_leaves": 31, "max_depth": 5})
ROUND_GRID = (100, 200, 400)
# A larger model must beat a smaller one by this much mean CV AUC to be chosen: every request pays for
# leaves and depth in TreeSHAP. At 0.001, 1.3.0's first training chose 31-leaf bot and 15-leaf troll
# trees for 0.0018 and 0.0016 CV AUC, and /v1/score fell to 0.16 of the bare endpoint (docs/performance.md).
CV_TOLERANCE = 0.003
Log = Callable[[str], None]


def excluded_features(name: str) -> dict[str, str]:
    """Features a head may not use, with the confound that rules each out (its recipe)."""
    return recipe(name).excluded()


def head_features(name: str) -> list[str]:
    """Feature names a head uses, in canonical order."""
    return recipe(name).features(FEATURE_NAMES)


def head_rows(name: str, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Which examples a head trains and is evaluated on, and its binary target (its recipe)."""
    return recipe(name).labels(examples)


def balanced_weights(examples: Sequence[Example], y: np.ndarray) -> np.ndarray:
    """Equal total weight per (collection, target), shared equally by its datasets, so no dump dominates.

    A collection is a dataset, except the Bot Repository's profile-only sets, which share one
    collection's weight (``datasets.family``): as seven collections they outweighed every timeline.
    """
    cells = [(e.dataset, int(t)) for e, t in zip(examples, y)]
    counts = Counter(cells)
    siblings = Counter((datasets.family(d), t) for d, t in counts)
    w = np.array([1.0 / counts[c] / siblings[(datasets.family(c[0]), c[1])] for c in cells])
    return w * (len(w) / w.sum())


def fit_calibration(raw: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Platt calibration (raw log-odds -> probability) for ``Scorer.calibrate``.

    A logistic map of the raw score, strictly increasing: distinct accounts keep distinct scores and no
    threshold sits on a plateau. (Isotonic tables gave steps: 360 real accounts got 18 distinct bot
    scores and 13 sat exactly on the threshold.)
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return {
        "method": "platt",
        "a": float(model.coef_[0, 0]),
        "b": float(model.intercept_[0]),
        "floor": PROB_FLOOR,
        "ceil": PROB_CEIL,
    }


def calibrate_and_threshold(
    head: str,
    raw: np.ndarray,
    y: np.ndarray,
    examples: Sequence[Example],
    every_variant: bool = False,
    per_collection: bool = False,
) -> tuple[dict[str, Any], float]:
    """A head's calibration fitted on calibration-split raw scores, and its threshold.

    The threshold is the calibrated score above which ``TARGET_FPR`` of the negatives as supplied
    (whole timelines and splices; with ``every_variant``, every example given) fall, each collection's
    negatives weighing the same (:func:`balanced_weights`), so the largest sample does not set every
    account's threshold. With ``per_collection``, no collection with at least ``MIN_BAND_CLASS``
    negatives has more than ``TARGET_FPR`` of them above it (the highest of their quantiles).
    """
    calibration = fit_calibration(raw, y)
    p = calibrate({"calibration": calibration}, raw)
    full = np.array([every_variant or e.variant in ("full", "spliced") for e in examples], dtype=bool)
    chosen = (y == 0) & full
    if not chosen.any():
        return calibration, 0.5
    negatives = p[chosen]
    if per_collection:
        collections = np.array([datasets.family(e.dataset) for e, c in zip(examples, chosen) if c])
        cuts = [
            float(np.quantile(negatives[collections == name], 1 - TARGET_FPR, method="higher"))
            for name in set(collections.tolist())
            if (collections == name).sum() >= MIN_BAND_CLASS
        ]
        if cuts:
            return calibration, min(max(max(cuts), 0.05), 0.95)
    weights = balanced_weights([e for e, c in zip(examples, chosen) if c], np.zeros(int(chosen.sum()), dtype=int))
    order = np.argsort(negatives)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    threshold = float(negatives[order][min(int(np.searchsorted(cumulative, 1 - TARGET_FPR)), len(order) - 1)])
    return calibration, min(max(threshold, 0.05), 0.95)


# A band of evidence needs this many calibration examples of each class to be fitted on its own (else it
# takes the calibration of the nearest band that has them).
MIN_BAND_CLASS = 20


def calibrated(head: str, raw: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> dict[str, Any]:
    """A head's calibration and threshold from calibration-split raw scores, as the artifact stores them.

    A head calibrated by bands of evidence (``HeadSpec.bands``) gets one calibration and threshold per
    band, each fitted on the calibration examples with that many posts (every variant: truncated
    timelines are what thin accounts look like), under ``bands``; its ``calibration`` and
    ``threshold`` are its fullest band's. Other heads get one of each (:func:`calibrate_and_threshold`).
    """
    # Dropout copies teach the trees that absent fields say nothing; they are no accounts to calibrate on.
    kept = np.array([e.variant != "dropout" for e in examples], dtype=bool)
    if not kept.all():
        examples = [e for e, k in zip(examples, kept) if k]
        raw, y = raw[kept], y[kept]
    lows = BY_NAME[head].bands if head in BY_NAME else ()
    if not lows:
        calibration, threshold = calibrate_and_threshold(head, raw, y, examples)
        return {"calibration": calibration, "threshold": threshold}
    n_posts = np.array([len(e.item.posts) for e in examples])
    bands: list[dict[str, Any] | None] = []
    for index, low in enumerate(lows):
        high = lows[index + 1] if index + 1 < len(lows) else np.inf
        rows = (n_posts >= low) & (n_posts < high)
        if min(int((y[rows] == 1).sum()), int((y[rows] == 0).sum())) < MIN_BAND_CLASS:
            bands.append(None)
            continue
        chosen = [examples[int(i)] for i in np.flatnonzero(rows)]
        calibration, threshold = calibrate_and_threshold(
            head, raw[rows], y[rows], chosen, every_variant=True, per_collection=True
        )
        bands.append({"min_posts": int(low), "calibration": calibration, "threshold": threshold})
    fitted = [index for index, band in enumerate(bands) if band is not None]
    if not fitted:
        # Too little calibration data to tell the bands apart (small test models): one calibration for all.
        calibration, threshold = calibrate_and_threshold(head, raw, y, examples, every_variant=True)
        bands, fitted = [{"calibration": calibration, "threshold": threshold}], [0]
        bands += [None] * (len(lows) - 1)
    out = []
    for index, low in enumerate(lows):
        nearest = bands[min(fitted, key=lambda f: (abs(f - index), -f))]
        out.append({**nearest, "min_posts": int(low)})  # type: ignore[dict-item]
    return {"calibration": out[-1]["calibration"], "threshold": out[-1]["threshold"], "bands": out}


def reference_percentiles(X: np.ndarray, examples: Sequence[Example]) -> dict[str, dict[str, float]]:
    """p10/p50/p90 of each feature among human train accounts as supplied (for reason texts)."""
    rows = np.array([e.label == HUMAN and e.variant == "full" and e.split == "train" for e in examples])
    out = {}
    for j, name in enumerate(FEATURE_NAMES):
        col = X[rows, j]
        col = col[col != MISSING]
        if col.size >= 20:
            p10, p50, p90 = np.percentile(col, [10, 50, 90])
            out[name] = {"p10": float(p10), "p50": float(p50), "p90": float(p90), "n": int(col.size)}
    return out


def training_matrix(
    name: str, examples: Sequence[Example], y: np.ndarray, X: np.ndarray, rng: np.random.Generator, n_jobs: int
) -> np.ndarray:
    """Train-side features of a head, missingness-matched between its classes where dumps differ."""
    matching = recipe(name).matching
    if matching is None:
        return X
    return missingness_matched(examples, y, X, rng, within_dataset=matching == "within_dataset", n_jobs=n_jobs)


def select_params(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    groups: Sequence[str],
    n_jobs: int,
    log: Log,
    constraints: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """Chooses tree shape and rounds by 3-fold CV grouped by account (weighted ROC AUC)."""
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    results = []
    folds = list(GroupKFold(n_splits=3).split(X, y, groups))
    for shape in TREE_GRID:
        aucs: dict[int, list[float]] = {r: [] for r in ROUND_GRID}
        for tr, va in folds:
            booster = lgb.train(
                {**BASE_PARAMS, **shape, **(constraints or {}), "num_threads": n_jobs},
                lgb.Dataset(X[tr], label=y[tr], weight=w[tr]),
                num_boost_round=max(ROUND_GRID),
            )
            for rounds in ROUND_GRID:
                raw = booster.predict(X[va], num_iteration=rounds, raw_score=True)
                aucs[rounds].append(roc_auc_score(y[va], raw, sample_weight=w[va]))
        for rounds in ROUND_GRID:
            results.append({**shape, "rounds": rounds, "cv_auc": float(np.mean(aucs[rounds]))})
    best_auc = max(r["cv_auc"] for r in results)
    # Results are ordered small to large: take the first within tolerance of the best.
    chosen = next(r for r in results if r["cv_auc"] >= best_auc - CV_TOLERANCE)
    log(f"    CV: chose {chosen} (best {best_auc:.4f})")
    chosen_shape: dict[str, Any] = {k: chosen[k] for k in ("num_leaves", "max_depth")}
    return {**BASE_PARAMS, **chosen_shape}, int(chosen["rounds"]), results


def fit_head(
    head: str,
    examples: Sequence[Example],
    X: np.ndarray,
    train_rows: np.ndarray,
    calib_rows: np.ndarray,
    rng: np.random.Generator,
    n_jobs: int = 2,
    tune: bool = True,
    params: dict[str, Any] | None = None,
    rounds: int = 200,
    X_train: np.ndarray | None = None,
    log: Log = print,
    monotone: bool = True,
) -> dict[str, Any]:
    """Fits one head on ``train_rows`` and calibrates it on ``calib_rows`` (indices into ``examples``).

    Args:
        X_train: The train rows' missingness-matched features, if already computed (else computed here).

    Returns:
        The head as stored in the artifact (booster, features, calibration, threshold) plus ``cv``.
    """
    import lightgbm as lgb

    _, y = head_rows(head, examples)
    feats = head_features(head)
    cols = [FEATURE_NAMES.index(f) for f in feats]
    ex_tr = [examples[i] for i in train_rows]
    if X_train is None:
        X_train = training_matrix(head, ex_tr, y[train_rows], X[train_rows], rng, n_jobs)
    X_tr = X_train[:, cols]
    w = balanced_weights(ex_tr, y[train_rows])
    cv: list[dict[str, Any]] = []
    # Directions the field knows (the head's recipe): part of the parameters, so CV and the card record them.
    directions = recipe(head).constraints(feats) if monotone else []
    constraints = {"monotone_constraints": directions} if any(directions) else {}
    if tune:
        groups = [f"{e.dataset}:{e.key}" for e in ex_tr]
        params, rounds, cv = select_params(X_tr, y[train_rows], w, groups, n_jobs, log, constraints)
    params = {**BASE_PARAMS, "num_leaves": 15, "max_depth": 4, **(params or {}), **constraints}
    booster = lgb.train(
        {**params, "num_threads": n_jobs},
        lgb.Dataset(X_tr, label=y[train_rows], weight=w, feature_name=feats),
        num_boost_round=rounds,
    )
    fitted: dict[str, Any] = {"booster": booster, "features": feats}
    raw_ca = head_raw(fitted, X[calib_rows])
    return {
        "name": head,
        **fitted,
        **calibrated(head, raw_ca, y[calib_rows], [examples[int(i)] for i in calib_rows]),
        "params": params,
        "rounds": rounds,
        "cv": cv,
    }


def head_raw(head: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """A fitted head's raw score on full feature rows."""
    return np.asarray(head["booster"].predict(X[:, [FEATURE_NAMES.index(f) for f in head["features"]]], raw_score=True))


def head_probabilities(head: dict[str, Any], X: np.ndarray, examples: Sequence[Example]) -> np.ndarray:
    """Calibrated probabilities of a fitted head on the examples' full feature rows (each in its band of evidence)."""
    n_posts = np.array([len(e.item.posts) for e in examples])
    return calibrate_rows(head, head_raw(head, X), n_posts)


def split_metrics(head: str, probs: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> dict[str, Any]:
    """Test-split metrics of one head: overall (as supplied), profile-only, and per dataset."""
    full = np.array([e.variant in ("full", "spliced") for e in examples], dtype=bool)
    prof = np.array([e.variant == "profile" for e in examples], dtype=bool)
    out: dict[str, Any] = {
        "overall": metrics.summary(y[full], probs[full]),
        "profile_only": metrics.summary(y[prof], probs[prof]),
        "all_variants": metrics.summary(y, probs),
        "per_dataset": {},
    }
    for name in sorted({e.dataset for e in examples}):
        in_ds = np.array([e.dataset == name for e in examples]) & full
        # A head whose positives come from one source: compare all test positives with this dataset's negatives.
        sel = in_ds | (full & (y == 1)) if recipe(head).positives_pooled else in_ds
        if not recipe(head).positives_pooled and sel.any() and y[sel].min() == y[sel].max():
            # A source of one class (porn bots, verified humans): against the other class of every source.
            sel = sel | (full & (y != y[sel][0]))
        if 0 < y[sel].sum() < sel.sum():
            out["per_dataset"][name] = metrics.summary(y[sel], probs[sel])
    return out
