"""Train the bot, troll and hijacked heads on the real shared data: ``python -m model.train``.

Accounts are split by a hash of (dataset, account key) into train (70%), calibration (15%) and test
(15%); every variant of an account (truncated timelines, profile-only copy, hijack splices it is part
of) stays on its account's side. Hijacked examples are semi-synthetic: a genuine account's history,
a silence, then another account's posts (there is no real labelled hijack data).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from model import datasets
from model.datasets import BOT, HUMAN, TROLL, LabelledAccount
from model.features import FEATURE_NAMES, FEATURES, MISSING, extract_features
from model.records import Post
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, ScoringInput, prepare, sha256_file

SEED = 20261122
MAX_POSTS = 1000
HEADS = ("bot", "troll", "hijacked")
TARGET_FPR = 0.01
# Snapshot time for accounts that carry neither observed_at nor posts (their age is unknown anyway).
FALLBACK_NOW = {
    "cresci-2015": "2013-06-01T00:00:00Z", "cresci-2017": "2015-05-01T00:00:00Z",
    "kaggle-2017": "2017-03-31T00:00:00Z", "ira": "2017-11-01T00:00:00Z", "client-tweets": "2021-04-30T00:00:00Z",
}
TRUNCATIONS = (1, 5, 20, 50, 200)
LGB_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 5,
    "min_data_in_leaf": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
    "lambda_l2": 1.0, "deterministic": True, "force_row_wise": True, "verbose": -1, "seed": SEED,
}
NUM_ROUNDS = 300


def excluded_features(head: str) -> dict[str, str]:
    """Features a head may not use, with the confound that rules each out.

    The troll data (IRA) has minute timestamps and no client or profile flags, while the human data
    has them: features built on those would learn which dump an account came from, not behaviour.
    """
    out: dict[str, str] = {}
    if head in ("troll", "hijacked"):
        for spec in FEATURES:
            if spec.sub_minute:
                out[spec.name] = "needs second-resolution timestamps; IRA data is rounded to minutes"
    if head == "troll":
        for spec in FEATURES:
            if spec.needs in ("posts.source",) or spec.name == "drift_source":
                out[spec.name] = "no troll data has a posting client"
            if spec.needs == "posts.lang" or spec.name == "drift_language":
                out[spec.name] = "post language is given for trolls but missing for most human data"
        for name in ("default_profile", "default_profile_image"):
            out[name] = "no troll data has profile flags"
    return out


def head_features(head: str) -> list[str]:
    """Feature names a head uses, in canonical order."""
    excluded = excluded_features(head)
    return [name for name in FEATURE_NAMES if name not in excluded]


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
    return ScoringInput(item.account, posts, item.as_of if as_of is None else as_of)


def base_examples(accounts: Iterable[LabelledAccount]) -> list[Example]:
    """Prepares every real account as-is (newest MAX_POSTS posts)."""
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


def splice(victim: Example, donor: Example, rng: np.random.Generator) -> Example:
    """A semi-synthetic hijack: the victim's older posts, a silence, then the donor's posts as the victim's.

    The donor's timeline is shifted by whole weeks so its weekday and hour pattern survive.
    """
    old = sorted(victim.item.posts, key=lambda p: p.created_at)
    new = sorted(donor.item.posts, key=lambda p: p.created_at)
    keep_old = 0 if rng.random() < 0.15 else max(3, int(len(old) * rng.uniform(0.2, 0.8)))
    old = old[:keep_old]
    n_new = int(min(len(new), max(5, rng.integers(5, 300))))
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
    as_of = shifted[-1].created_at
    item = ScoringInput(victim.item.account, posts, as_of)
    return Example(victim.dataset, victim.key, victim.label, f"spliced:{donor.dataset}:{donor.label}",
                   victim.split, "spliced", item, hijacked=True)


def hijack_examples(examples: Sequence[Example], rng: np.random.Generator) -> list[Example]:
    """One splice per human timeline of 10+ posts, with a donor of 5+ posts from the same split (any label)."""
    out = []
    by_split: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        if len(ex.item.posts) >= 5:
            by_split[ex.split].append(ex)
    for ex in examples:
        if ex.label != HUMAN or len(ex.item.posts) < 10:
            continue
        pool = by_split[ex.split]
        donor = pool[int(rng.integers(len(pool)))]
        while donor.key == ex.key and donor.dataset == ex.dataset:
            donor = pool[int(rng.integers(len(pool)))]
        out.append(splice(ex, donor, rng))
    return out


def feature_matrix(examples: Sequence[Example], n_jobs: int = 2) -> np.ndarray:
    """Features of every example, in parallel processes."""
    from joblib import Parallel, delayed

    chunks = [examples[i : i + 2000] for i in range(0, len(examples), 2000)]

    def run(chunk: Sequence[Example]) -> np.ndarray:
        return np.vstack([extract_features(e.item.account, e.item.posts, e.item.as_of) for e in chunk])

    parts = Parallel(n_jobs=n_jobs)(delayed(run)(chunk) for chunk in chunks)
    return np.vstack(parts) if parts else np.empty((0, len(FEATURE_NAMES)))


def head_rows(head: str, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Which examples a head trains and is evaluated on, and its binary target.

    The bot head sees only datasets that hold bots (bots against their own dataset's humans), so that
    human-only samples cannot teach it which dump is bot-free.
    """
    if head == "bot":
        bot_datasets = {e.dataset for e in examples if e.label == BOT}
        mask = np.array([e.dataset in bot_datasets and not e.hijacked and e.label in (BOT, HUMAN) for e in examples])
        y = np.array([e.label == BOT for e in examples])
    elif head == "troll":
        mask = np.array([not e.hijacked for e in examples])
        y = np.array([e.label == TROLL for e in examples])
    elif head == "hijacked":
        mask = np.ones(len(examples), dtype=bool)
        y = np.array([e.hijacked for e in examples])
    else:
        raise ValueError(head)
    return mask, y.astype(int)


def balanced_weights(examples: Sequence[Example], y: np.ndarray) -> np.ndarray:
    """Equal total weight per (dataset, target) cell, so no dump dominates by size."""
    cells = [(e.dataset, int(t)) for e, t in zip(examples, y)]
    counts = Counter(cells)
    w = np.array([1.0 / counts[c] for c in cells])
    return w * (len(w) / w.sum())


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC; NaN when a class is absent."""
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        return float("nan")
    return float(roc_auc_score(y, s))


def fit_isotonic(raw: np.ndarray, y: np.ndarray) -> dict[str, list[float]]:
    """Isotonic calibration table (raw log-odds -> probability) for ``np.interp``."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    iso.fit(raw, y)
    return {"x": iso.X_thresholds_.astype(float).tolist(), "y": iso.y_thresholds_.astype(float).tolist()}


def reference_percentiles(X: np.ndarray, examples: Sequence[Example]) -> dict[str, dict[str, float]]:
    """p10/p50/p90 of each feature among human accounts as supplied (for reason texts)."""
    rows = np.array([e.label == HUMAN and e.variant == "full" and not e.hijacked and e.split == "train" for e in examples])
    out = {}
    for j, name in enumerate(FEATURE_NAMES):
        col = X[rows, j]
        col = col[col != MISSING]
        if col.size >= 20:
            p10, p50, p90 = np.percentile(col, [10, 50, 90])
            out[name] = {"p10": float(p10), "p50": float(p50), "p90": float(p90), "n": int(col.size)}
    return out


def _versions() -> dict[str, str]:
    import joblib
    import lightgbm
    import sklearn

    return {"python": platform.python_version(), "lightgbm": lightgbm.__version__, "numpy": np.__version__,
            "scikit-learn": sklearn.__version__, "joblib": joblib.__version__}


def evaluate_head(head: str, probs: np.ndarray, y: np.ndarray, examples: Sequence[Example]) -> dict[str, Any]:
    """Test-split metrics of one head: overall, per dataset and profile-only."""
    full = np.array([e.variant in ("full", "spliced") for e in examples])
    prof = np.array([e.variant == "profile" for e in examples])
    metrics: dict[str, Any] = {"auc_all_variants": roc_auc(y, probs), "auc": roc_auc(y[full], probs[full]),
                               "auc_profile_only": roc_auc(y[prof], probs[prof]), "n": int(len(y)), "positives": int(y.sum())}
    per = {}
    names = sorted({e.dataset for e in examples})
    for name in names:
        in_ds = np.array([e.dataset == name for e in examples]) & full
        if head == "troll":
            # IRA holds trolls only: compare every test troll with this dataset's non-trolls.
            sel = in_ds | (full & (y == 1))
        else:
            sel = in_ds
        auc = roc_auc(y[sel], probs[sel])
        if auc == auc:
            per[name] = {"auc": auc, "n": int(sel.sum()), "positives": int(y[sel].sum())}
    metrics["per_dataset"] = per
    return metrics


def fit_heads(examples: Sequence[Example], X: np.ndarray, n_jobs: int = 2, num_rounds: int = NUM_ROUNDS,
              log=print) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trains, calibrates and evaluates every head on prepared examples and their feature matrix.

    Returns:
        The heads as stored in the artifact, and their model-card entries.
    """
    import lightgbm as lgb

    split = np.array([e.split for e in examples])
    heads, card_heads = [], []
    for head in HEADS:
        mask, y = head_rows(head, examples)
        feats = head_features(head)
        cols = [FEATURE_NAMES.index(f) for f in feats]
        tr, ca, te = (mask & (split == s) for s in ("train", "calib", "test"))
        ex_tr = [examples[i] for i in np.flatnonzero(tr)]
        dtrain = lgb.Dataset(X[tr][:, cols], label=y[tr], weight=balanced_weights(ex_tr, y[tr]), feature_name=feats,
                             free_raw_data=True)
        booster = lgb.train({**LGB_PARAMS, "num_threads": n_jobs}, dtrain, num_boost_round=num_rounds)
        raw_ca = booster.predict(X[ca][:, cols], raw_score=True)
        calibration = fit_isotonic(raw_ca, y[ca])
        p_ca = np.interp(raw_ca, calibration["x"], calibration["y"])
        ca_full = np.array([examples[i].variant in ("full", "spliced") for i in np.flatnonzero(ca)], dtype=bool)
        negatives = p_ca[(y[ca] == 0) & ca_full]
        threshold = float(np.quantile(negatives, 1 - TARGET_FPR)) if negatives.size else 0.5
        threshold = min(max(threshold, 0.05), 0.95)
        raw_te = booster.predict(X[te][:, cols], raw_score=True)
        p_te = np.interp(raw_te, calibration["x"], calibration["y"])
        ex_te = [examples[i] for i in np.flatnonzero(te)]
        metrics = evaluate_head(head, p_te, y[te], ex_te)
        log(f"[{head}] test AUC {metrics['auc']:.4f} (profile-only {metrics['auc_profile_only']:.4f}, "
            f"all variants {metrics['auc_all_variants']:.4f}) threshold {threshold:.3f}")
        for name, m in metrics["per_dataset"].items():
            log(f"    {name:14s} AUC {m['auc']:.4f}  n={m['n']} positives={m['positives']}")
        heads.append({"name": head, "booster": booster, "features": feats, "calibration": calibration, "threshold": threshold})
        card_heads.append({"name": head, "features": feats, "excluded_features": excluded_features(head),
                           "threshold": threshold, "threshold_rule": f"calibrated score above which {TARGET_FPR:.0%} of "
                           "calibration-split negatives fall", "num_trees": booster.num_trees(),
                           "test_metrics": metrics})
    return heads, card_heads


def save_model(heads: list[dict[str, Any]], card: dict[str, Any], reference: dict[str, Any], out_artifact: Path,
               out_card: Path, version: str = "1.0.0") -> dict[str, Any]:
    """Writes the artifact, then the card that records its sha256 (the only checksum the service trusts)."""
    import joblib

    artifact = {"format": 1, "version": version, "feature_names": list(FEATURE_NAMES), "heads": heads,
                "reference": reference}
    out_artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, out_artifact, compress=3)
    card = {
        "name": "botlens", "version": version,
        "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "artifact": {"file": out_artifact.name, "sha256": sha256_file(out_artifact)},
        "classes": [h["name"] for h in heads],
        "features": [{"name": s.name, "group": s.group, "unit": s.unit, "description": s.description} for s in FEATURES],
        **card,
        "library_versions": _versions(),
    }
    out_card.write_text(json.dumps(card, indent=1) + "\n")
    return card


def train(data_dir: Path | None, out_artifact: Path, out_card: Path, n_jobs: int = 2, log=print) -> dict[str, Any]:
    """Loads the real data, trains and calibrates every head, writes the artifact and its card.

    Returns:
        The model card that was written.
    """
    started = time.time()
    rng = np.random.default_rng(SEED)
    accounts = datasets.load_all(data_dir)
    log(f"loaded {len(accounts)} accounts in {time.time() - started:.0f}s")
    base = base_examples(accounts)
    examples = base + variants(base, rng) + hijack_examples(base, rng)
    log(f"{len(examples)} examples ({dict(Counter(e.variant for e in examples))})")
    X = feature_matrix(examples, n_jobs=n_jobs)
    log(f"features in {time.time() - started:.0f}s")
    heads, card_heads = fit_heads(examples, X, n_jobs=n_jobs, log=log)
    summary = Counter((e.dataset, e.label, e.split) for e in base)
    card = save_model(heads, {
        "heads": card_heads,
        "training_data": {
            "split_rule": "sha256(dataset:account_key) mod 100: <70 train, <85 calibration, else test",
            "accounts": [{"dataset": d, "label": l, "split": s, "accounts": n} for (d, l, s), n in sorted(summary.items())],
            "augmentation": "each account also as its newest k posts (k in 1,5,20,50,200) and profile-only; "
                            "hijacked = semi-synthetic splices of a genuine history, a silence and another account's posts",
            "sources": sorted(datasets.LOADERS),
        },
        "training": {"params": LGB_PARAMS, "num_boost_round": NUM_ROUNDS, "seed": SEED,
                     "seconds": round(time.time() - started)},
    }, reference_percentiles(X, examples), out_artifact, out_card)
    log(f"wrote {out_artifact} ({card['artifact']['sha256'][:12]}) and {out_card} in {time.time() - started:.0f}s")
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or datasets.default_data_dir()
    if not data_dir.is_dir():
        print(f"no data folder at {data_dir}", file=sys.stderr)
        return 2
    train(data_dir, args.artifact, args.card, n_jobs=args.jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
