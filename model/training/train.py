"""Train the bot, troll and hijacked heads on the real shared data: ``python -m model.training.train``.

Loads every dataset (``model.training.datasets``), builds the examples (``model.training.examples``:
truncated and profile-only variants, semi-synthetic hijacks), fits and calibrates each head by its
recipe (``model.training.fit``) and writes the signed artifact and card (``model.training.card``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.heads import HEAD_NAMES, TRAINED_TYPES
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, Scorer, sha256_file
from model.training import datasets, metrics, paths
from model.training.card import MODEL_VERSION, save_model, versions, write_card
from model.training.examples import (
    Example,
    base_examples,
    dropout_variants,
    feature_matrix,
    hijack_examples,
    variants,
)
from model.training.fit import (
    BASE_PARAMS,
    ROUND_GRID,
    SEED,
    TARGET_FPR,
    TREE_GRID,
    Log,
    calibrated,
    excluded_features,
    fit_head,
    head_probabilities,
    head_rows,
    reference_percentiles,
    split_metrics,
)


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
        tested = [examples[int(i)] for i in te]
        result = split_metrics(head, head_probabilities(fitted, X[te], tested), y[te], tested)
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
                "fall, each collection weighing the same; the label needs a score strictly above it"
                + (
                    "; per band of evidence (posts supplied), each band calibrated on its own"
                    if "bands" in fitted
                    else ""
                ),
                **(
                    {"bands": [{"min_posts": b["min_posts"], "threshold": b["threshold"]} for b in fitted["bands"]]}
                    if "bands" in fitted
                    else {}
                ),
                "params": params,
                "num_boost_round": n_rounds,
                "cv": cv,
                "test_metrics": result,
            }
        )
    return heads, card_heads


def fit_types(
    examples: Sequence[Example], X: np.ndarray, n_jobs: int = 2, tune: bool = True, log: Log = print
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trains and calibrates one head per trained bot type (``model.heads.TRAINED_TYPES``) on bots only, and
    tests each on its type's test bots against the other types' test bots.

    Returns:
        The types as stored in the artifact, and their model-card entries.
    """
    rng = np.random.default_rng(SEED)
    split = np.array([e.split for e in examples])
    types, card_types = [], []
    for name in TRAINED_TYPES:
        mask, y = head_rows(name, examples)
        fitted = fit_head(
            name,
            examples,
            X,
            np.flatnonzero(mask & (split == "train")),
            np.flatnonzero(mask & (split == "calib")),
            rng,
            n_jobs=n_jobs,
            tune=tune,
            rounds=100,
            log=lambda *_: None,
        )
        te = np.flatnonzero(mask & (split == "test"))
        full = np.array([examples[int(i)].variant == "full" for i in te], dtype=bool)
        probs = head_probabilities(fitted, X[te], [examples[int(i)] for i in te])
        result = metrics.summary(y[te][full], probs[full])
        log(
            f"[type {name}] test ROC AUC against the other types {result['roc_auc']:.4f} "
            f"(n={result['n']}, {result['positives']} of the type)"
        )
        cv, params, n_rounds = fitted.pop("cv"), fitted.pop("params"), fitted.pop("rounds")
        fitted.pop("threshold", None)
        types.append(fitted)
        card_types.append(
            {
                "name": name,
                "features": fitted["features"],
                "calibration": fitted["calibration"]["method"],
                "params": params,
                "num_boost_round": n_rounds,
                "cv": cv,
                "test_metrics": result,
            }
        )
    return types, card_types


def prepare_examples(data_dir: Path | None, n_jobs: int = 2, log: Log = print) -> tuple[list[Example], np.ndarray]:
    """Loads the real data and builds every example (variants and splices) with its features."""
    started = time.time()
    rng = np.random.default_rng(SEED)
    accounts = datasets.load_all(data_dir)
    log(f"loaded {len(accounts)} accounts in {time.time() - started:.0f}s")
    base = base_examples(accounts)
    examples = base + variants(base, rng) + hijack_examples(base, rng) + dropout_variants(base, rng)
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
        "augmentation": "each account also as its newest k posts (k in 1,5,20,50,200), profile-only, and "
        "for a fifth of them profile-only with each profile field dropped at random (p=0.5, both classes alike); "
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
    types, card_types = fit_types(examples, X, n_jobs=n_jobs, log=log)
    card = save_model(
        heads,
        {
            "heads": card_heads,
            "bot_types": card_types,
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
        types=types,
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
        raw = Scorer.raw(head, X[ca])
        kept.pop("bands", None)
        kept.update(calibrated(name, raw, y[ca], [examples[int(i)] for i in ca]))
        heads.append(kept)
        tested = [examples[int(i)] for i in te]
        result = split_metrics(name, head_probabilities(kept, X[te], tested), y[te], tested)
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
        library_versions=versions(),
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
