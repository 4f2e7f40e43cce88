"""Evaluate the shipped model on the real data: ``python -m model.training.evaluate``.

Reports, per head and per dataset, ROC AUC, PR AUC, recall at 1% and 5% false-positive rate and
expected calibration error on the held-back test split; a leave-one-dataset-out table (retrained
without a dataset, tested on all of it); and a confusion table between heads. Writes the results
into the model card (served at ``GET /v1/model``) and a markdown report with a reliability plot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.heads import BY_NAME, LABELS
from model.labels import BOT, HUMAN
from model.records import ScoringInput, Timeline
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, Scorer, decide_label
from model.scoring.calibration import band_of
from model.training import baseline, datasets, fit, metrics, paths, train
from model.training.card import write_card
from model.training.examples import Example, base_examples
from model.training.paths import docs_dir
from model.training.recipes import BY_HEAD, RECIPES, Recipe

# IRA categories too small to test on their own are left in training.
MIN_GROUP = 20


def true_class(e: Example) -> str:
    """The class an example stands for in the confusion table."""
    return "hijacked" if e.hijacked else e.label


def confusion(
    examples: Sequence[Example], probs: dict[str, np.ndarray], thresholds: Callable[[int], dict[str, float]]
) -> dict[str, dict[str, int]]:
    """Test-split accounts as supplied: true class -> predicted label counts.

    Args:
        thresholds: Each head's threshold for an account with so many posts (``Scorer.thresholds_for``).
    """
    table: dict[str, Counter] = {}
    for i, e in enumerate(examples):
        if e.split != "test" or e.variant not in ("full", "spliced"):
            continue
        label = decide_label({h: float(p[i]) for h, p in probs.items()}, thresholds(len(e.item.posts)))
        table.setdefault(true_class(e), Counter())[label] += 1
    return {k: dict(v) for k, v in sorted(table.items())}


def _leave_out(
    head: str,
    examples: Sequence[Example],
    X: np.ndarray,
    matched: np.ndarray,
    train_rows: np.ndarray,
    calib_rows: np.ndarray,
    test_rows: np.ndarray,
    excluded: np.ndarray,
    card_head: dict[str, Any],
    profiles: np.ndarray | None,
) -> dict[str, Any]:
    """Retrains a head without the ``excluded`` examples and measures it on ``test_rows``.

    With ``profiles`` (the baseline's rows of every example), the BotometerLite-style baseline is
    trained on the same rows and measured on the same accounts, under ``baseline``.
    """
    keep = ~excluded[train_rows]
    fitted = fit.fit_head(
        head,
        examples,
        X,
        train_rows[keep],
        calib_rows[~excluded[calib_rows]],
        np.random.default_rng(fit.SEED),
        tune=False,
        params=card_head["params"],
        rounds=card_head["num_boost_round"],
        X_train=matched[keep],
        log=lambda *_: None,
        # As the head under evaluation was trained: with its known directions only if its card says so.
        monotone="monotone_constraints" in card_head["params"],
    )
    _, y = fit.head_rows(head, examples)
    probs = fit.head_probabilities(fitted, X[test_rows], [examples[int(i)] for i in test_rows])
    full = np.array([examples[i].variant in ("full", "spliced") for i in test_rows], dtype=bool)
    result: dict[str, Any] = dict(metrics.summary(y[test_rows][full], probs[full]))
    if profiles is not None:
        forest = fit_baseline(examples, y, profiles, train_rows[keep])
        result["baseline"] = metrics.summary(
            y[test_rows][full], baseline.bot_probability(forest, profiles[test_rows][full])
        )
    return result


def fit_baseline(examples: Sequence[Example], y: np.ndarray, profiles: np.ndarray, rows: np.ndarray) -> Any:
    """The BotometerLite-style forest on the accounts (as supplied) among ``rows``, weighted as the head is."""
    whole = np.array([examples[int(i)].variant == "full" for i in rows], dtype=bool)
    chosen = rows[whole]
    weights = fit.balanced_weights([examples[int(i)] for i in chosen], y[chosen])
    return baseline.fit(profiles[chosen], y[chosen], weights, seed=fit.SEED)


def _held_out(
    spec: Recipe, examples: Sequence[Example], y: np.ndarray, split: np.ndarray
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """What leave-one-out tests for a head: (name, examples left out of training, test rows)."""
    mask, testable = spec.rows(examples), spec.testable(examples)
    dataset = np.array([e.dataset for e in examples])
    full = np.array([e.variant == "full" for e in examples], dtype=bool)
    held_out: list[tuple[str, np.ndarray, np.ndarray]] = []
    for name in sorted(set(dataset[testable])):
        in_ds = dataset == name
        if spec.positives_pooled:
            if y[mask & in_ds].min() == 1:
                continue  # a source of positives only: its categories are left out below instead
            test = np.flatnonzero(mask & (in_ds | ((y == 1) & (split == "test"))))
        else:
            test_mask = testable & in_ds
            classes = set(y[test_mask].tolist())
            if len(classes) == 1:
                # A source of one class: against the other class's test-split accounts of the rest.
                other = 1 - classes.pop()
                test_mask |= testable & ~in_ds & full & (split == "test") & (y == other)
            test = np.flatnonzero(test_mask)
        if 0 < y[test].sum() < len(test):
            held_out.append((f"dataset {name}", in_ds, test))
    if spec.positives_pooled:
        positive = y.astype(bool)
        groups = Counter(e.group for e, p in zip(examples, positive) if p and e.variant == "full")
        for group, count in sorted(groups.items()):
            if count < MIN_GROUP:
                continue
            in_group = np.array([p and e.group == group for e, p in zip(examples, positive)])
            test = np.flatnonzero(mask & (in_group | ((y == 0) & (split == "test"))))
            held_out.append((f"{examples[int(np.flatnonzero(in_group)[0])].dataset} category {group}", in_group, test))
    return held_out


def leave_one_out(
    examples: Sequence[Example],
    X: np.ndarray,
    card: dict[str, Any],
    log: Any = print,
    profiles: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Leave-one-dataset-out (and leave-one-troll-category-out) results for every head.

    Args:
        profiles: The baseline's rows of every example: with them the bot head's rows carry the
            BotometerLite-style baseline trained without the same dataset.
    """
    split = np.array([e.split for e in examples])
    rows: list[dict[str, Any]] = []
    for card_head in card["heads"]:
        head = card_head["name"]
        spec = BY_HEAD[head]
        mask, y = spec.labels(examples)
        tr = np.flatnonzero(mask & (split == "train"))
        ca = np.flatnonzero(mask & (split == "calib"))
        ex_tr = [examples[int(i)] for i in tr]
        matched = fit.training_matrix(head, ex_tr, y[tr], X[tr], np.random.default_rng(fit.SEED), 2)
        held_out = _held_out(spec, examples, y, split)
        for done, (name, excluded, test) in enumerate(held_out, 1):
            result = _leave_out(
                head, examples, X, matched, tr, ca, test, excluded, card_head, profiles if head == "bot" else None
            )
            rows.append({"head": head, "left_out": name, **result})
            versus = f", baseline {result['baseline']['roc_auc']:.4f}" if "baseline" in result else ""
            log(
                f"  LODO [{head}] {done}/{len(held_out)} without {name}: ROC AUC {result['roc_auc']:.4f}{versus} "
                f"(n={result['n']}, positives={result['positives']})"
            )
    return rows


THIN = (5, 20)


def _auc_per_source(
    examples: Sequence[Example], y: np.ndarray, probs: np.ndarray, positives: np.ndarray, negatives: np.ndarray
) -> dict[str, Any]:
    """ROC AUC of the positives against all the negatives, and against each human source's negatives alone."""
    dataset = np.array([e.dataset for e in examples])
    human = np.array([e.label == HUMAN for e in examples], dtype=bool)
    sel = positives | negatives
    out: dict[str, Any] = {"all": metrics.summary(y[sel], probs[sel])["roc_auc"], "per_source": {}}
    for name in sorted(set(dataset[negatives & human])):
        against = negatives & human & (dataset == name)
        if against.sum() >= 10 and positives.any():
            out["per_source"][name] = metrics.summary(y[positives | against], probs[positives | against])["roc_auc"]
    out["min"] = min(out["per_source"].values(), default=float("nan"))
    return out


def troll_operations(
    examples: Sequence[Example], X: np.ndarray, scorer: Scorer, card: dict[str, Any], log: Any = print
) -> dict[str, Any]:
    """The troll head across operations: each operation's test split (the shipped head), each operation left out
    of training (retrained without it, tested on all its accounts), thin timelines (5-20 posts), and
    humans above the threshold per band of evidence. Every ROC AUC is against every human source's test
    split, and against each source alone; accounts without posts (where the head makes no claim) are left out.
    """
    spec = BY_HEAD["troll"]
    card_head = next(h for h in card["heads"] if h["name"] == "troll")
    mask, y = spec.labels(examples)
    split = np.array([e.split for e in examples])
    dataset = np.array([e.dataset for e in examples])
    n_posts = np.array([len(e.item.posts) for e in examples])
    # Accounts with posts: without any the head makes no claim (its score is held neutral).
    whole = np.array([e.variant == "full" for e in examples], dtype=bool) & (n_posts > 0)
    thin = (n_posts >= THIN[0]) & (n_posts <= THIN[1])
    negatives = mask & (y == 0) & (split == "test")
    shipped = scorer.probabilities(X, n_posts)["troll"]
    out: dict[str, Any] = {"within": {}, "left_out": {}, "bands": []}
    operations = [op for op in datasets.OPERATIONS if (mask & (dataset == op) & (y == 1)).any()]
    for op in operations:
        positives = mask & (dataset == op) & (split == "test")
        out["within"][op] = {
            "whole": _auc_per_source(examples, y, shipped, positives & whole, negatives & whole),
            "thin": _auc_per_source(examples, y, shipped, positives & thin, negatives & thin),
        }
    tr, ca = np.flatnonzero(mask & (split == "train")), np.flatnonzero(mask & (split == "calib"))
    ex_tr = [examples[int(i)] for i in tr]
    matched = fit.training_matrix("troll", ex_tr, y[tr], X[tr], np.random.default_rng(fit.SEED), 2)
    for op in operations:
        excluded = dataset == op
        keep = ~excluded[tr]
        fitted = fit.fit_head(
            "troll",
            examples,
            X,
            tr[keep],
            ca[~excluded[ca]],
            np.random.default_rng(fit.SEED),
            tune=False,
            params=card_head["params"],
            rounds=card_head["num_boost_round"],
            X_train=matched[keep],
            log=lambda *_: None,
            monotone="monotone_constraints" in card_head["params"],
        )
        probs = fit.head_probabilities(fitted, X, examples)
        positives = mask & excluded
        out["left_out"][op] = {
            "whole": _auc_per_source(examples, y, probs, positives & whole, negatives & whole),
            "thin": _auc_per_source(examples, y, probs, positives & thin, negatives & thin),
        }
        row = out["left_out"][op]["whole"]
        log(f"  LOOO [troll] without {op}: ROC AUC {row['all']:.4f}, worst human source {row['min']:.4f}")
    head = next(h for h in scorer.heads if h["name"] == "troll")
    for band in head.get("bands", []):
        low = band["min_posts"]
        later = [b["min_posts"] for b in head["bands"] if b["min_posts"] > low]
        rows = mask & (split == "test") & (n_posts >= low) & (n_posts < (later[0] if later else np.inf))
        humans = rows & np.array([e.label == HUMAN for e in examples])
        out["bands"].append(
            {
                "min_posts": low,
                "max_posts": (later[0] - 1) if later else None,
                "threshold": band["threshold"],
                "n": int(rows.sum()),
                "humans": int(humans.sum()),
                "humans_above_threshold": float((shipped[humans] > band["threshold"]).mean()) if humans.any() else 0.0,
                "roc_auc": metrics.summary(y[rows], shipped[rows])["roc_auc"],
                "label_abstains": low < BY_NAME["troll"].label_min_posts,
            }
        )
    return out


def in_domain_ceiling(examples: Sequence[Example], folds: int = 5, seed: int = 0) -> list[dict[str, Any]]:
    """What profile features can reach on each bot/human source on its own: the baseline forest trained and
    tested within that one dataset (stratified ``folds``-fold cross-validation, every account of the
    dataset), the most favourable setting for a profile-only detector.

    Returns:
        Per source with both classes: ``dataset``, ``n``, ``bots`` and the mean ``roc_auc`` over the folds.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    rows = []
    for dataset in sorted({e.dataset for e in examples}):
        mine = [e for e in examples if e.dataset == dataset and e.label in (BOT, HUMAN)]
        y = np.array([e.label == BOT for e in mine], dtype=int)
        if len(mine) < 2 * folds or y.sum() < folds or (1 - y).sum() < folds:
            continue
        X = baseline.profile_matrix([e.item for e in mine])
        aucs = []
        for train_rows, test_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
            forest = baseline.fit(X[train_rows], y[train_rows], seed=seed)
            aucs.append(roc_auc_score(y[test_rows], baseline.bot_probability(forest, X[test_rows])))
        rows.append({"dataset": dataset, "n": len(mine), "bots": int(y.sum()), "roc_auc": float(np.mean(aucs))})
    return rows


def reliability_plot(examples: Sequence[Example], probs: dict[str, np.ndarray], path: Path) -> dict[str, Any]:
    """Reliability curves of every head on the test split; returns the bins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(probs), figsize=(4 * len(probs), 4), sharey=True)
    bins_out = {}
    for ax, (head, p) in zip(np.atleast_1d(axes), probs.items()):
        mask, y = fit.head_rows(head, examples)
        sel = mask & np.array([e.split == "test" for e in examples])
        bins = metrics.reliability(y[sel], p[sel])
        bins_out[head] = bins
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1)
        ax.plot([b["mean_predicted"] for b in bins], [b["observed"] for b in bins], marker="o")
        ax.set_title(f"{head} (ECE {metrics.ece(y[sel], p[sel]):.3f})")
        ax.set_xlabel("predicted probability")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[0].set_ylabel("observed share positive")
    fig.suptitle("Reliability on the test split (all variants)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return bins_out


EVIDENCE_POSTS = (1, 2, 3, 5, 10, 20, 30, 40, 50, 100)


def evidence_by_posts(
    examples: Sequence[Example], scorer: Scorer, counts: Sequence[int] = EVIDENCE_POSTS
) -> list[dict[str, Any]]:
    """How each head separates on test accounts cut to their newest k posts, raw (before any evidence rule).

    Each row: k, head, accounts with at least k posts, positives, ROC AUC, and the shares of human
    accounts and of positives scored above the head's threshold for k posts (its band's). It is what
    ``HeadSpec.bands`` and ``label_min_posts`` are chosen by.
    """
    rows = []
    test = [e for e in examples if e.split == "test" and e.variant == "full"]
    for k in counts:
        band = {head: band_of(scorer_head, k)["threshold"] for head, scorer_head in zip(scorer.classes, scorer.heads)}
        chosen = [e for e in test if len(e.item.posts) >= k]
        items = []
        for e in chosen:
            posts = sorted(e.item.posts, key=lambda p: p.created_at)
            items.append(ScoringInput(e.item.account, Timeline.from_posts(posts[-k:]), e.item.as_of))
        probs = scorer.probabilities(scorer.matrix(items), np.array([len(i.posts) for i in items]))
        for spec in RECIPES:
            if spec.head not in probs:
                continue
            mask, y = spec.labels(chosen)
            human = np.array([e.label == HUMAN and not e.hijacked for e in chosen], dtype=bool)[mask]
            p, y = probs[spec.head][mask], y[mask].astype(bool)
            if 0 < y.sum() < len(y):
                rows.append(
                    {
                        "posts": k,
                        "head": spec.head,
                        "n": int(len(y)),
                        "positives": int(y.sum()),
                        "roc_auc": metrics.summary(y, p)["roc_auc"],
                        "humans_above_threshold": float((p[human] > band[spec.head]).mean()),
                        "positives_above_threshold": float((p[y] > band[spec.head]).mean()),
                    }
                )
    return rows


def _fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def types_report(types: list[dict[str, Any]] | None) -> list[str]:
    """Each bot type's test bots against the other types' test bots, as markdown lines."""
    if not types:
        return []
    lines = [
        "",
        "## Bot types (test split: each type's bots against the other types' bots)",
        "",
        "| type | bots | of the type | ROC AUC | PR AUC | ECE |",
        "|---|---|---|---|---|---|",
    ]
    for entry in types:
        m = entry["test_metrics"]
        lines.append(
            f"| {entry['name']} | {m['n']} | {m['positives']} | {_fmt(m['roc_auc'])} | {_fmt(m['pr_auc'])} | "
            f"{_fmt(m['ece'])} |"
        )
    lines += [
        "",
        "`self_declared` has no labelled set: it is read from the account's own words and flags (`declared_bot`,",
        "a handle, name or bio calling it a bot) and is not in this table.",
    ]
    return lines


def operations_report(found: dict[str, Any] | None) -> list[str]:
    """The troll head across operations, as markdown lines (empty without the evaluation)."""
    if not found:
        return []
    sources = sorted(
        {name for part in ("within", "left_out") for op in found[part].values() for name in op["whole"]["per_source"]}
    )
    lines = [
        "",
        "## Troll head across operations (ROC AUC against the human test split)",
        "",
        "'within': the shipped head on the operation's test split; 'left out': retrained without the operation,",
        f"tested on all its accounts; 'thin': accounts with {THIN[0]}-{THIN[1]} posts (timelines, newest-k variants).",
        "",
        "| operation | test | all humans | " + " | ".join(sources) + " | worst |",
        "|---|---|---|" + "---|" * (len(sources) + 1),
    ]
    for part, words in (("within", "within"), ("left_out", "left out")):
        for op, result in found[part].items():
            for size in ("whole", "thin"):
                row = result[size]
                cells = [_fmt(row["per_source"].get(name, float("nan"))) for name in sources]
                lines.append(
                    f"| {op} | {words}, {size} | {_fmt(row['all'])} | " + " | ".join(cells) + f" | {_fmt(row['min'])} |"
                )
    lines += [
        "",
        "### By band of evidence (test split, every variant; each band calibrated and thresholded on its own)",
        "",
        "| posts | accounts | humans | threshold | humans above it | ROC AUC | label |",
        "|---|---|---|---|---|---|---|",
    ]
    for band in found["bands"]:
        posts = f"{band['min_posts']}+" if band["max_posts"] is None else f"{band['min_posts']}-{band['max_posts']}"
        label = "abstains" if band["label_abstains"] else "troll above the threshold"
        lines.append(
            f"| {posts} | {band['n']} | {band['humans']} | {band['threshold']:.4f} | "
            f"{band['humans_above_threshold']:.2%} | {_fmt(band['roc_auc'])} | {label} |"
        )
    return lines


def report(card: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """The markdown evaluation report."""
    lines = [
        "# Model evaluation",
        "",
        f"Model {card['version']}, produced by `python -m model.training.evaluate` "
        "(see `docs/model.md` for data and confounds).",
        "Test split: 15% of the accounts of each dataset, chosen by hash, never seen in training or calibration.",
        "'as supplied' = each account with all its posts; 'profile-only' = the same accounts with no posts.",
        "",
        "## Per head and dataset (test split)",
        "",
        "| head | dataset | n | positives | ROC AUC | PR AUC | recall @1% FPR | recall @5% FPR | ECE "
        "| distinct scores |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for head, result in evaluation["test"].items():
        entries = [("all, as supplied", result["overall"]), ("all, profile-only", result["profile_only"])]
        entries += [(name, m) for name, m in result["per_dataset"].items()]
        base, tuned = result.get("baseline", {}), result.get("tuned_forest", {})
        for name, m in entries:
            b = base.get("overall") if name == "all, as supplied" else base.get("per_dataset", {}).get(name)
            t = tuned.get("overall") if name == "all, as supplied" else tuned.get("per_dataset", {}).get(name)
            versus = (
                f" (baseline {_fmt(b['roc_auc'])}" + (f", tuned forest {_fmt(t['roc_auc'])}" if t else "") + ")"
                if b
                else ""
            )
            lines.append(
                f"| {head} | {name} | {m['n']} | {m['positives']} | {_fmt(m['roc_auc'])}{versus} | "
                f"{_fmt(m['pr_auc'])} | "
                f"{_fmt(m['recall_at_1pct_fpr'])} | {_fmt(m['recall_at_5pct_fpr'])} | {_fmt(m['ece'])} | "
                f"{m['distinct_scores']} |"
            )
    lines += [
        "",
        "For the troll head each dataset row compares all test trolls with that dataset's non-trolls; a source of",
        "one class (porn bots, verified humans, the 2020-21 users) is compared with the other class of every source.",
        "Baselines: the BotometerLite-style random forest on 20 profile features (`model/training/baseline.py`),",
        "trained on the bot head's training accounts with its weights, and a tuned profile forest (300 trees, leaf",
        "size, split features and per-dataset weights chosen by 3-fold CV; without `verified`, which the head may",
        "not read either), trained on the same accounts; both tested on the same accounts.",
        "",
        "## Leave one out (retrained without it, tested on all of it)",
        "",
        "| head | left out | n | positives | ROC AUC | baseline ROC AUC | PR AUC | recall @1% FPR | ECE |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in evaluation["leave_one_out"]:
        b = _fmt(row["baseline"]["roc_auc"]) if "baseline" in row else ""
        lines.append(
            f"| {row['head']} | {row['left_out']} | {row['n']} | {row['positives']} | {_fmt(row['roc_auc'])} | {b} | "
            f"{_fmt(row['pr_auc'])} | {_fmt(row['recall_at_1pct_fpr'])} | {_fmt(row['ece'])} |"
        )
    lines += operations_report(evaluation.get("troll_operations"))
    lines += types_report(card.get("bot_types"))
    labels = list(LABELS)
    lines += [
        "",
        "## Confusion between heads (test split, as supplied; rows = truth, columns = label given)",
        "",
        "| truth | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for truth, counts in evaluation["confusion"].items():
        lines.append(f"| {truth} | " + " | ".join(str(counts.get(label, 0)) for label in labels) + " |")
    lines += [
        "",
        f"Thresholds (calibrated score; {fit.TARGET_FPR:.0%} of calibration-split negatives above): "
        + ", ".join(f"{k} {v:.3f}" for k, v in evaluation["thresholds"].items()),
        "",
        "## Reliability",
        "",
        "![reliability](reliability.png)",
        "",
    ]
    return "\n".join(lines)


def evaluate(
    data_dir: Path | None,
    artifact: Path,
    card_path: Path,
    docs: Path | None = None,
    log: Any = print,
    signing_key: Path | None = None,
) -> dict[str, Any]:
    """Runs the whole evaluation and writes the card (signed with ``signing_key``, if given) and the report."""
    docs = docs or docs_dir()
    # The model under evaluation is the one just trained on this machine, whose card is not signed yet.
    scorer = Scorer.load(artifact, card_path, allow_unsigned=True)
    card = json.loads(card_path.read_text())
    examples, X = train.prepare_examples(data_dir, log=log)
    probs = scorer.probabilities(X, np.array([len(e.item.posts) for e in examples]))
    test: dict[str, Any] = {}
    split = np.array([e.split for e in examples])
    whole = np.array([e.variant == "full" for e in examples], dtype=bool)
    profiles = baseline.profile_matrix([e.item for e in examples])
    for head in scorer.classes:
        spec = BY_HEAD[head]
        mask, y = spec.labels(examples)
        te = np.flatnonzero(spec.testable(examples) & (split == "test"))
        test[head] = fit.split_metrics(head, probs[head][te], y[te], [examples[i] for i in te])
        log(f"[{head}] test ROC AUC {test[head]['overall']['roc_auc']:.4f}  ECE {test[head]['overall']['ece']:.4f}")
        if head == "bot":
            forest = fit_baseline(examples, y, profiles, np.flatnonzero(mask & (split == "train")))
            test[head]["baseline"] = fit.split_metrics(
                head, baseline.bot_probability(forest, profiles[te]), y[te], [examples[i] for i in te]
            )
            train_rows = np.flatnonzero(mask & (split == "train") & whole)
            tuned, settings = baseline.fit_tuned(
                profiles[train_rows], y[train_rows], [examples[int(i)].dataset for i in train_rows], seed=fit.SEED
            )
            log(f"  tuned profile forest: {settings}")
            test[head]["tuned_forest"] = fit.split_metrics(
                head,
                baseline.bot_probability(tuned, baseline.without_verified(profiles[te])),
                y[te],
                [examples[i] for i in te],
            )
            test[head]["tuned_forest"]["settings"] = settings
    evaluation = {
        "test": test,
        "confusion": confusion(examples, probs, scorer.thresholds_for),
        "thresholds": scorer.thresholds(),
        "reliability": reliability_plot(examples, probs, docs / "reliability.png"),
        "leave_one_out": leave_one_out(examples, X, card, log=log, profiles=profiles),
        "troll_operations": troll_operations(examples, X, scorer, card, log=log),
    }
    card["evaluation"] = evaluation
    write_card(card, card_path, signing_key)
    (docs / "evaluation.md").write_text(report(card, evaluation))
    log(f"wrote {card_path} and {docs / 'evaluation.md'}")
    return evaluation


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD)
    parser.add_argument("--docs", type=Path, default=None, help="report folder (default docs/ of the checkout)")
    parser.add_argument(
        "--signing-key",
        type=Path,
        default=os.environ.get("BOTLENS_SIGNING_KEY"),
        help="ed25519 private key that signs the updated card (default $BOTLENS_SIGNING_KEY)",
    )
    parser.add_argument("--evidence", action="store_true", help="only the table by number of posts (a minute)")
    parser.add_argument(
        "--in-domain",
        action="store_true",
        help="only the baseline forest cross-validated within each bot/human dataset alone (a few minutes)",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir or paths.data_dir()
    if not data_dir.is_dir():
        print(f"no data folder at {data_dir}", file=sys.stderr)
        return 2
    if args.evidence:
        scorer = Scorer.load(args.artifact, args.card, allow_unsigned=True)
        print("| posts | head | n | positives | ROC AUC | humans above threshold | positives above threshold |")
        print("|---|---|---|---|---|---|---|")
        for row in evidence_by_posts(base_examples(datasets.load_all(data_dir)), scorer):
            print(
                f"| {row['posts']} | {row['head']} | {row['n']} | {row['positives']} | {_fmt(row['roc_auc'])} | "
                f"{row['humans_above_threshold']:.1%} | {row['positives_above_threshold']:.1%} |"
            )
        return 0
    if args.in_domain:
        print("| dataset | accounts | bots | baseline forest, trained and tested within the dataset (5-fold ROC AUC) |")
        print("|---|---|---|---|")
        for row in in_domain_ceiling(base_examples(datasets.load_all(data_dir))):
            print(f"| {row['dataset']} | {row['n']} | {row['bots']} | {_fmt(row['roc_auc'])} |")
        return 0
    evaluate(data_dir, args.artifact, args.card, args.docs, signing_key=args.signing_key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
