"""Train the bot, troll and hijacked heads on the real shared data: ``python -m model.training.train``.

Hyper-parameters are chosen per head by 3-fold cross-validation grouped by account on the train
split; each head is then fitted on the train split, calibrated (Platt) on the calibration split
and measured on the test split. Hijacked examples are semi-synthetic (see ``model.examples``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model import signing
from model.features import FEATURE_NAMES, FEATURES, MISSING
from model.heads import HEAD_NAMES
from model.labels import HUMAN
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, Scorer, calibrate, sha256_file
from model.training import datasets, metrics, paths
from model.training.examples import (
    Example,
    base_examples,
    feature_matrix,
    hijack_examples,
    missingness_matched,
    variants,
)
from model.training.recipes import BY_HEAD

SEED = 20261122
TARGET_FPR = 0.01
MODEL_VERSION = "1.3.0"
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
    return BY_HEAD[name].excluded()


def head_features(name: str) -> list[str]:
    """Feature names a head uses, in canonical order."""
    return BY_HEAD[name].features(FEATURE_NAMES)


def head_rows(name: str, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Which examples a head trains and is evaluated on, and its binary target (its recipe)."""
    return BY_HEAD[name].labels(examples)


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
    head: str, raw: np.ndarray, y: np.ndarray, examples: Sequence[Example]
) -> tuple[dict[str, Any], float]:
    """A head's calibration fitted on calibration-split raw scores, and its threshold.

    The threshold is the calibrated score above which ``TARGET_FPR`` of the negatives as supplied
    (whole timelines and splices) fall, each collection's negatives weighing the same
    (:func:`balanced_weights`), so the largest sample does not set every account's threshold.
    """
    calibration = fit_calibration(raw, y)
    p = calibrate({"calibration": calibration}, raw)
    full = np.array([e.variant in ("full", "spliced") for e in examples], dtype=bool)
    chosen = (y == 0) & full
    if not chosen.any():
        return calibration, 0.5
    negatives = p[chosen]
    weights = balanced_weights([e for e, c in zip(examples, chosen) if c], np.zeros(int(chosen.sum()), dtype=int))
    order = np.argsort(negatives)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    threshold = float(negatives[order][min(int(np.searchsorted(cumulative, 1 - TARGET_FPR)), len(order) - 1)])
    return calibration, min(max(threshold, 0.05), 0.95)


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
    matching = BY_HEAD[name].matching
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
                aucs[rounds].append(
                    roc_auc_score(y[va], booster.predict(X[va], num_iteration=rounds), sample_weight=w[va])
                )
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
    directions = BY_HEAD[head].constraints(feats) if monotone else []
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
    raw_ca = np.asarray(booster.predict(X[calib_rows][:, cols], raw_score=True))
    calibration, threshold = calibrate_and_threshold(
        head, raw_ca, y[calib_rows], [examples[int(i)] for i in calib_rows]
    )
    return {
        "name": head,
        "booster": booster,
        "features": feats,
        "calibration": calibration,
        "threshold": threshold,
        "params": params,
        "rounds": rounds,
        "cv": cv,
    }


def head_probabilities(head: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Calibrated probabilities of a fitted head on full feature rows."""
    cols = [FEATURE_NAMES.index(f) for f in head["features"]]
    return calibrate(head, head["booster"].predict(X[:, cols], raw_score=True))


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
        sel = in_ds | (full & (y == 1)) if BY_HEAD[head].positives_pooled else in_ds
        if not BY_HEAD[head].positives_pooled and sel.any() and y[sel].min() == y[sel].max():
            # A source of one class (porn bots, verified humans): against the other class of every source.
            sel = sel | (full & (y != y[sel][0]))
        if 0 < y[sel].sum() < sel.sum():
            out["per_dataset"][name] = metrics.summary(y[sel], probs[sel])
    return out


def fit_heads(
    examples: Sequence[Example],
    X: np.ndarray,
    n_jobs: int = 2,
    tune: bool = True,
    rounds: int = 200,
    log: Log = print,
    monotone: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trains, calibrates and tests every head on prepared examples and their feature matrix.

    Returns:
        The heads as stored in the artifact, and their model-card entries.
    """
    rng = np.random.default_rng(SEED)
    split = np.array([e.split for e in examples])
    heads, card_heads = [], []
    for head in HEAD_NAMES:
        mask, y = head_rows(head, examples)
        log(f"[{head}] training on {int((mask & (split == 'train')).sum())} examples")
        fitted = fit_head(
            head,
            examples,
            X,
            np.flatnonzero(mask & (split == "train")),
            np.flatnonzero(mask & (split == "calib")),
            rng,
            n_jobs=n_jobs,
            tune=tune,
            rounds=rounds,
            log=log,
            monotone=monotone,
        )
        te = np.flatnonzero(mask & (split == "test"))
        result = split_metrics(head, head_probabilities(fitted, X[te]), y[te], [examples[int(i)] for i in te])
        o = result["overall"]
        log(
            f"[{head}] test ROC AUC {o['roc_auc']:.4f}  PR AUC {o['pr_auc']:.4f}  ECE {o['ece']:.4f}  "
            f"profile-only AUC {result['profile_only']['roc_auc']:.4f}  threshold {fitted['threshold']:.3f}"
        )
        for name, m in result["per_dataset"].items():
            log(f"    {name:14s} ROC AUC {m['roc_auc']:.4f}  n={m['n']} positives={m['positives']}")
        cv, params, n_rounds = fitted.pop("cv"), fitted.pop("params"), fitted.pop("rounds")
        heads.append(fitted)
        card_heads.append(
            {
                "name": head,
                "features": fitted["features"],
                "excluded_features": excluded_features(head),
                "threshold": fitted["threshold"],
                "calibration": fitted["calibration"]["method"],
                "threshold_rule": f"calibrated score above which {TARGET_FPR:.0%} of calibration-split negatives "
                "fall, each collection weighing the same; the label needs a score strictly above it",
                "params": params,
                "num_boost_round": n_rounds,
                "cv": cv,
                "test_metrics": result,
            }
        )
    return heads, card_heads


def _versions() -> dict[str, str]:
    import joblib
    import lightgbm
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def save_model(
    heads: list[dict[str, Any]],
    card: dict[str, Any],
    reference: dict[str, Any],
    out_artifact: Path,
    out_card: Path,
    version: str = MODEL_VERSION,
    signing_key: Path | None = None,
) -> dict[str, Any]:
    """Writes the artifact, then the card that records its sha256, then the card's signature.

    Args:
        signing_key: The ed25519 private key (``model.signing``); without it the card is left unsigned
            and the service refuses it until it is signed.
    """
    import joblib

    artifact = {
        "format": 1,
        "version": version,
        "feature_names": list(FEATURE_NAMES),
        "heads": heads,
        "reference": reference,
    }
    out_artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, out_artifact, compress=3)
    card = {
        "name": "botlens",
        "version": version,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "artifact": {"file": out_artifact.name, "sha256": sha256_file(out_artifact)},
        "classes": [h["name"] for h in heads],
        "features": [
            {"name": s.name, "group": s.group, "unit": s.unit, "description": s.description} for s in FEATURES
        ],
        **card,
        "library_versions": _versions(),
    }
    write_card(card, out_card, signing_key)
    return card


def write_card(card: dict[str, Any], path: Path, signing_key: Path | None) -> None:
    """Writes a model card and signs it, or removes a signature that no longer matches it."""
    path.write_text(json.dumps(card, indent=1) + "\n")
    if signing_key is not None:
        signing.sign(path, signing_key)
        return
    signing.signature_path(path).unlink(missing_ok=True)
    print(
        f"{path} is unsigned: sign it (python -m model.signing sign --key KEY {path}) before serving it",
        file=sys.stderr,
    )


def prepare_examples(data_dir: Path | None, n_jobs: int = 2, log: Log = print) -> tuple[list[Example], np.ndarray]:
    """Loads the real data and builds every example (variants and splices) with its features."""
    started = time.time()
    rng = np.random.default_rng(SEED)
    accounts = datasets.load_all(data_dir)
    log(f"loaded {len(accounts)} accounts in {time.time() - started:.0f}s")
    base = base_examples(accounts)
    examples = base + variants(base, rng) + hijack_examples(base, rng)
    log(f"{len(examples)} examples {dict(Counter(e.variant for e in examples))}")
    X = feature_matrix(examples, n_jobs=n_jobs)
    log(f"features in {time.time() - started:.0f}s")
    return examples, X


def data_summary(examples: Sequence[Example]) -> dict[str, Any]:
    """Accounts per dataset, label and split, for the model card."""
    summary = Counter((e.dataset, e.label, e.split) for e in examples if e.variant == "full")
    return {
        "split_rule": "sha256(dataset:account_key) mod 100: <70 train, <85 calibration, else test",
        "accounts": [
            {"dataset": d, "label": label, "split": s, "accounts": n} for (d, label, s), n in sorted(summary.items())
        ],
        "augmentation": "each account also as its newest k posts (k in 1,5,20,50,200) and profile-only; "
        "hijacked = semi-synthetic splices of a genuine history, a silence and another account's posts; "
        "train-side missingness matching between classes (bot: within each dataset; troll: overall)",
        "sources": sorted(datasets.LOADERS),
    }


def train(
    data_dir: Path | None,
    out_artifact: Path,
    out_card: Path,
    n_jobs: int = 2,
    log: Log = print,
    signing_key: Path | None = None,
    monotone: bool = True,
    version: str = MODEL_VERSION,
) -> dict[str, Any]:
    """Loads the real data, trains and calibrates every head, writes the artifact and its card.

    Args:
        monotone: Train with the heads' known directions as constraints (off only to measure their cost).

    Returns:
        The model card that was written.
    """
    started = time.time()
    examples, X = prepare_examples(data_dir, n_jobs, log)
    heads, card_heads = fit_heads(examples, X, n_jobs=n_jobs, log=log, monotone=monotone)
    card = save_model(
        heads,
        {
            "heads": card_heads,
            "training_data": data_summary(examples),
            "training": {
                "base_params": BASE_PARAMS,
                "tree_grid": TREE_GRID,
                "round_grid": ROUND_GRID,
                "seed": SEED,
                "seconds": round(time.time() - started),
            },
        },
        reference_percentiles(X, examples),
        out_artifact,
        out_card,
        version=version,
        signing_key=signing_key,
    )
    log(f"wrote {out_artifact} ({card['artifact']['sha256'][:12]}) and {out_card} in {time.time() - started:.0f}s")
    return card


def recalibrate(
    data_dir: Path | None,
    artifact_path: Path,
    card_path: Path,
    version: str,
    signing_key: Path | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """Refits every head's calibration and threshold on the calibration split, keeping its trees.

    Writes the artifact under a new version, the card (thresholds, calibration, test metrics; the
    previous ``evaluation`` is dropped: rerun ``python -m model.training.evaluate``) and its signature.
    """
    import joblib

    scorer = Scorer.load(artifact_path, card_path)
    examples, X = prepare_examples(data_dir, log=log)
    split = np.array([e.split for e in examples])
    card = json.loads(card_path.read_text())
    heads = []
    for head, card_head in zip(scorer.heads, card["heads"]):
        name = head["name"]
        kept = {k: v for k, v in head.items() if k not in ("columns", "explainer")}
        mask, y = head_rows(name, examples)
        ca, te = np.flatnonzero(mask & (split == "calib")), np.flatnonzero(mask & (split == "test"))
        raw = np.asarray(head["booster"].predict(X[ca][:, head["columns"]], raw_score=True))
        kept["calibration"], kept["threshold"] = calibrate_and_threshold(
            name, raw, y[ca], [examples[int(i)] for i in ca]
        )
        heads.append(kept)
        result = split_metrics(name, head_probabilities(kept, X[te]), y[te], [examples[int(i)] for i in te])
        card_head.update(threshold=kept["threshold"], calibration=kept["calibration"]["method"], test_metrics=result)
        o = result["overall"]
        log(
            f"[{name}] threshold {kept['threshold']:.4f}  test ROC AUC {o['roc_auc']:.4f}  ECE {o['ece']:.4f}  "
            f"distinct scores {o['distinct_scores']} of {o['n']}"
        )
    artifact = {**scorer.artifact, "version": version, "heads": heads}
    joblib.dump(artifact, artifact_path, compress=3)
    card.pop("evaluation", None)
    card.update(
        version=version,
        trained_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        artifact={"file": artifact_path.name, "sha256": sha256_file(artifact_path)},
        recalibrated_from=scorer.version,
        library_versions=_versions(),
    )
    write_card(card, card_path, signing_key)
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--signing-key",
        type=Path,
        default=os.environ.get("BOTLENS_SIGNING_KEY"),
        help="ed25519 private key that signs the card (default $BOTLENS_SIGNING_KEY)",
    )
    parser.add_argument(
        "--no-monotone", action="store_true", help="train without the heads' known directions (to measure their cost)"
    )
    parser.add_argument("--version", default=MODEL_VERSION, help=f"model version to write (default {MODEL_VERSION})")
    parser.add_argument(
        "--recalibrate",
        metavar="VERSION",
        help="keep the artifact's trees, refit calibration and thresholds, write it as VERSION",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir or paths.data_dir()
    if not data_dir.is_dir():
        print(f"no data folder at {data_dir}", file=sys.stderr)
        return 2
    if args.recalibrate:
        recalibrate(data_dir, args.artifact, args.card, args.recalibrate, signing_key=args.signing_key)
        return 0
    train(
        data_dir,
        args.artifact,
        args.card,
        n_jobs=args.jobs,
        signing_key=args.signing_key,
        monotone=not args.no_monotone,
        version=args.version,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
