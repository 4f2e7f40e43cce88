"""Coordination on real data: ``python -m model.training.coordination_eval`` (writes docs/coordination.md's tables).

The batch: the IRA accounts of the shared data (one operation; hand-coded categories), mixed with
ordinary users of two other datasets whose timelines are moved into the IRA's years by whole weeks
(one shift per dataset, so weekday, hour and the users' real co-activity are kept), and with ordinary
users who each repost a few of the same viral posts independently over a day. IRA reposts carry the
original's text, not its id: the original's id is derived from the text, as a client would take it
from the platform. Reported: the coordination score's ROC AUC (operation vs the rest), precision and
recall of the accounts placed in groups, the adjusted Rand index of the groups against the IRA
categories, and time; beside it, coordination-network-toolkit on the same batch.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.coordination import ActionCollector, Settings, coordinate
from model.coordination.actions import retweet_identity
from model.records import parse_timestamp
from model.training import datasets
from model.training.paths import data_dir
from model.validation import Validator

WEEK = 7 * 86400
# The IRA accounts' own years: ordinary timelines are moved so that their median post lands here.
TARGET = datetime(2016, 6, 1, tzinfo=UTC).timestamp()
# Accounts with fewer posts carry too little activity to be judged (and most of the operation's
# one-to-five-post accounts are fragments of the dump): the batch keeps accounts with at least this many.
MIN_POSTS = 20
VIRAL_POSTS = 8
FANS = 400


@dataclass
class Batch:
    """Request bodies with their truth: IRA category (None for ordinary users) and the kind of account."""

    requests: list[dict[str, Any]]
    category: list[str | None]
    kind: list[str]


def _derived_id(text: str) -> str:
    return "rt-" + hashlib.sha1(retweet_identity(text).encode()).hexdigest()[:16]


def _with_repost_ids(request: dict[str, Any]) -> dict[str, Any]:
    """Reposts known by text get the original's id derived from it."""
    posts = []
    for post in request["posts"]:
        if post.get("is_retweet") and post.get("text") and not post.get("retweet_of"):
            post = {**post, "retweet_of": {"id": _derived_id(post["text"])}}
        posts.append(post)
    return {**request, "posts": posts}


def _shifted(requests: list[dict[str, Any]], rng: np.random.Generator) -> list[dict[str, Any]]:
    """One dataset's timelines moved by the same whole number of weeks (weekday and hour kept)."""
    times = [parse_timestamp(p["created_at"]) for r in requests for p in r["posts"]]
    shift = round((TARGET - float(np.median(times))) / WEEK) * WEEK
    out = []
    for request in requests:
        # To the minute, as the IRA's timestamps are: otherwise "the same minute" would tell the datasets apart.
        posts = [{**p, "created_at": _iso(_minute(parse_timestamp(p["created_at"]) + shift))} for p in request["posts"]]
        moved = {**request, "posts": posts}
        if "observed_at" in moved:
            moved["observed_at"] = _iso(parse_timestamp(moved["observed_at"]) + shift)
        account = dict(moved["account"])
        if account.get("created_at"):
            account["created_at"] = _iso(
                min(
                    parse_timestamp(account["created_at"]) + shift,
                    min((parse_timestamp(p["created_at"]) for p in posts), default=TARGET),
                )
            )
        moved["account"] = account
        out.append(moved)
    return out


def _minute(epoch: float) -> float:
    return epoch - epoch % 60


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(root: Path, seed: int = 0, min_posts: int = MIN_POSTS, fans: int = FANS) -> Batch:
    """The evaluation batch from the shared data folder (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    batch = Batch([], [], [])
    for account in datasets.load_ira(root):
        if len(account.request["posts"]) >= min_posts:
            batch.requests.append(_with_repost_ids(account.request))
            batch.category.append(account.group)
            batch.kind.append("ira")
    ordinary: list[dict[str, Any]] = []
    for loader in (datasets.load_cresci2015, datasets.load_cresci2017):
        humans = [a.request for a in loader(root) if a.label == datasets.HUMAN and len(a.request["posts"]) >= min_posts]
        moved = [_with_repost_ids(r) for r in _shifted(humans, rng)]
        ordinary.extend(moved)
    order = rng.permutation(len(ordinary))
    fan_set = set(order[:fans].tolist())
    # Viral posts, each reposted by its fans at independent moments of its own day.
    days = TARGET + WEEK * rng.integers(-40, 40, size=VIRAL_POSTS)
    for index, request in enumerate(ordinary):
        kind = "ordinary"
        if index in fan_set:
            kind = "fan"
            extra = []
            for viral in rng.choice(VIRAL_POSTS, size=int(rng.integers(3, 6)), replace=False):
                moment = float(days[viral] + rng.uniform(0, 86400))
                extra.append(
                    {
                        "created_at": _iso(_minute(moment)),
                        "is_retweet": True,
                        "retweet_of": {"id": f"viral-{viral}", "author": "celebrity"},
                        "text": f"viral post number {viral}",
                    }
                )
            request = {**request, "posts": request["posts"] + extra}
            request.pop("observed_at", None)
        batch.requests.append(request)
        batch.category.append(None)
        batch.kind.append(kind)
    return batch


def run_botlens(batch: Batch, settings: Settings) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores and group ids (-1 none) of every account, and the seconds it took (validation included)."""
    validator = Validator.build()
    started = time.perf_counter()
    collector = ActionCollector()
    now = time.time()
    for request in batch.requests:
        item = validator.request("native", request, now)
        collector.add(item.posts)
    result = coordinate(collector.table(), settings)
    return result.scores, result.group_of, time.perf_counter() - started


def run_toolkit(batch: Batch, window: int = 1, min_edge_weight: int = 2) -> tuple[np.ndarray, np.ndarray, float]:
    """coordination-network-toolkit on the same batch: co-retweet, co-link and co-similarity networks
    (its default window and minimum edge weight), connected components as groups, weighted degree as score."""
    import networkx as nx
    from coordination_network_toolkit import compute_networks, graph, preprocess
    from coordination_network_toolkit.similarity import get_similarity_fn_from_min_size

    validator = Validator.build()
    now = time.time()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "toolkit.db")
        started = time.perf_counter()
        rows = []
        for account_index, request in enumerate(batch.requests):
            item = validator.request("native", request, now)
            posts = item.posts
            for i in range(len(posts.created_at)):
                ref = posts.retweet_of[i]
                reply = posts.reply_to[i]
                rows.append(
                    (
                        f"{account_index}-{i}",
                        str(account_index),
                        str(account_index),
                        ref.id if ref is not None and ref.id else "",
                        reply.id if reply is not None and reply.id else "",
                        posts.text[i] or "",
                        int(posts.created_at[i]),
                        list(posts.urls[i]),
                    )
                )
        preprocess.preprocess_data(db, rows)
        compute_networks.compute_co_retweet_parallel(db, window, n_threads=2, min_edge_weight=min_edge_weight)
        compute_networks.compute_co_link_network(db, window, min_edge_weight=min_edge_weight)
        # As its command line does by default: Jaccard similarity of 0.8, documents of at least one token.
        compute_networks.compute_co_similar_tweet(
            db,
            window,
            similarity_threshold=0.8,
            min_edge_weight=min_edge_weight,
            similarity_function=get_similarity_fn_from_min_size(1),
        )
        union = nx.Graph()
        union.add_nodes_from(str(i) for i in range(len(batch.requests)))
        for command in ("co_retweet", "co_link", "co_similar_tweet"):
            for row in graph.get_edge_rows(db, command):
                a, b, weight = str(row[0]), str(row[1]), float(row[2])
                if a != b:
                    union.add_edge(a, b, weight=union.get_edge_data(a, b, {"weight": 0})["weight"] + weight)
        elapsed = time.perf_counter() - started
    scores = np.array([union.degree(str(i), weight="weight") for i in range(len(batch.requests))], dtype=float)
    groups = np.full(len(batch.requests), -1)
    for index, component in enumerate(c for c in nx.connected_components(union) if len(c) >= 2):
        for node in component:
            groups[int(node)] = index
    return scores, groups, elapsed


def metrics(batch: Batch, scores: np.ndarray, groups: np.ndarray, min_group_size: int = 3) -> dict[str, float]:
    """AUC (operation vs the rest), precision and recall of grouped accounts, ARI against the categories,
    and the AUC among the accounts left outside the groups (where the overall AUC is decided)."""
    from sklearn.metrics import adjusted_rand_score, roc_auc_score

    truth = np.array([k == "ira" for k in batch.kind])
    sizes = np.bincount(groups[groups >= 0]) if (groups >= 0).any() else np.zeros(0, int)
    grouped = (groups >= 0) & (sizes[np.maximum(groups, 0)] >= min_group_size if sizes.size else False)
    tp = int((grouped & truth).sum())
    ira_grouped = truth & grouped
    categories = [c for c, g in zip(batch.category, ira_grouped) if g]
    fans = np.array([k == "fan" for k in batch.kind])
    # The AUC is decided where the groups end: how the score ranks operation and other accounts left outside.
    outside = ~grouped
    both = truth[outside].any() and (~truth[outside]).any()
    return {
        "auc": float(roc_auc_score(truth, scores)),
        "auc_ungrouped": float(roc_auc_score(truth[outside], scores[outside])) if both else float("nan"),
        "ira_ungrouped": int((truth & outside).sum()),
        "others_grouped": int((~truth & grouped).sum()),
        "precision": tp / max(int(grouped.sum()), 1),
        "recall": tp / max(int(truth.sum()), 1),
        "ari": float(adjusted_rand_score(categories, groups[ira_grouped])) if categories else 0.0,
        "groups": int(len(np.unique(groups[grouped]))),
        "fans_grouped": int((grouped & fans).sum()),
        "ordinary_grouped": int((grouped & ~truth & ~fans).sum()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Builds the batch, runs botlens (and the toolkit) and prints the table rows."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--window", type=float, default=Settings().window_seconds)
    parser.add_argument("--min-shared", type=int, default=Settings().min_shared)
    parser.add_argument("--burst", type=int, default=Settings().burst, help="events per action before lags thin")
    parser.add_argument("--no-toolkit", action="store_true", help="skip coordination-network-toolkit")
    args = parser.parse_args(argv)
    root = args.data or data_dir()
    started = time.perf_counter()
    batch = build(root, args.seed)
    kinds = {k: batch.kind.count(k) for k in ("ira", "ordinary", "fan")}
    print(
        f"batch: {len(batch.requests)} accounts {kinds}, built in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    settings = Settings(window_seconds=args.window, min_shared=args.min_shared, burst=args.burst)
    rows = [("botlens", *run_botlens(batch, settings))]
    if not args.no_toolkit:
        rows.append(("coordination-network-toolkit 1.5.2 (defaults)", *run_toolkit(batch)))
    columns = ["method", "accounts", "ROC AUC", "precision", "recall", "ARI (IRA categories)", "groups"]
    columns += ["fans grouped", "ordinary grouped", "seconds"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, scores, groups, seconds in rows:
        m = metrics(batch, scores, groups)
        print(
            f"| {name} | {len(batch.requests)} | {m['auc']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | "
            f"{m['ari']:.3f} | {m['groups']} | {m['fans_grouped']} | {m['ordinary_grouped']} | {seconds:.1f} |"
        )
        print(
            f"  {name}: {m['ira_ungrouped']} operation accounts outside the groups, {m['others_grouped']} other "
            f"accounts inside; AUC among the accounts outside the groups {m['auc_ungrouped']:.3f}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
