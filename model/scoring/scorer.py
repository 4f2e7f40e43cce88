"""A loaded model: heads in artifact order, scores and exact per-feature explanations."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import model.scoring.reasons as reasons
from model.errors import ArtifactError
from model.features import FEATURE_NAMES, extract_features
from model.heads import BY_NAME, HUMAN_LABEL
from model.records import ScoringInput, format_timestamp
from model.scoring import trees
from model.scoring.artifact import DEFAULT_ARTIFACT, DEFAULT_CARD, DEFAULT_PUBLIC_KEY, check_matches_code, read_verified
from model.scoring.calibration import band_of, calibrate_rows, decide_label
from model.scoring.evidence import MIN_EVIDENCE, UNKNOWN_LABEL, needed_fields, summary
from model.scoring.explain import explain
from model.scoring.reasons import abstain_warning
from model.scoring.rules import HeadRules, held_warning
from model.scoring.types import BotTypes

log = logging.getLogger(__name__)

# Below this many posts the behavioural features rest on too little activity to trust.
FEW_POSTS = 20


def warnings_for(item: ScoringInput) -> list[str]:
    """Plain-language caveats about what the score could not see."""
    out = []
    n = len(item.posts)
    if n == 0:
        out.append("no posts supplied: the scores rest on the profile alone")
    elif n < FEW_POSTS:
        out.append(f"only {n} post{'s' if n > 1 else ''} supplied: behavioural features are weak below {FEW_POSTS}")
    if item.moved_from is not None:
        out.append(
            f"posts are newer than observed_at ({format_timestamp(item.moved_from)}) by more than a day, as when "
            "profile and posts come from different crawls: scored as observed at the newest post"
        )
    if item.future_posts:
        plural = "posts are" if item.future_posts > 1 else "post is"
        out.append(f"{item.future_posts} {plural} dated after observed_at and taken as posted at observed_at")
    if item.account.created_at is None:
        out.append("account created_at not supplied: account age features are unavailable")
    if n and all(s is None for s in item.posts.source):
        out.append("no post has a source (client): client features are unavailable")
    return out


class Scorer:
    """A loaded model: heads in artifact order, each a LightGBM booster with calibration and threshold."""

    def __init__(self, artifact: Mapping[str, Any], card: Mapping[str, Any] | None = None) -> None:
        check_matches_code(artifact)
        self.artifact = artifact
        self.card = dict(card or {})
        self.version: str = str(artifact["version"])
        self.heads: list[dict[str, Any]] = list(artifact["heads"])
        # Class order is whatever the artifact lists; nothing here assumes bot/troll/hijacked.
        self.classes: list[str] = [head["name"] for head in self.heads]
        self.reference: Mapping[str, Mapping[str, float]] = artifact.get("reference", {})
        for head in self.heads:
            trees.prepare(head)
        self.types = BotTypes(list(artifact.get("types", [])), self.reference)
        self.needed = needed_fields(f for head in self.heads for f in head["features"])
        self._rules = {head["name"]: HeadRules(head, BY_NAME[head["name"]]) for head in self.heads}

    @classmethod
    def load(
        cls,
        artifact_path: Path = DEFAULT_ARTIFACT,
        card_path: Path = DEFAULT_CARD,
        public_key: Path | None = DEFAULT_PUBLIC_KEY,
        allow_unsigned: bool = False,
    ) -> Scorer:
        """Loads an artifact once its card's signature and the artifact's sha256 check out.

        Args:
            artifact_path: The joblib artifact.
            card_path: The model card (JSON) that records the artifact's sha256; signed in ``<card>.sig``.
            public_key: The trusted ed25519 public key (PEM) the card must be signed with.
            allow_unsigned: Development only: load a card without a signature (the checksum still applies).

        Raises:
            ArtifactError: a file is missing or unreadable, the card is unsigned or its signature fails,
                the checksum differs, the artifact is not a botlens model, or its features or heads
                differ from this code's. Nothing is unpickled before the signature and checksum pass.
        """
        artifact, card = read_verified(artifact_path, card_path, public_key, allow_unsigned)
        try:
            return cls(artifact, card)
        except ArtifactError:
            raise
        except Exception as exc:  # heads without boosters, calibration or features of the expected shape
            raise ArtifactError(f"artifact heads malformed: {type(exc).__name__}: {exc}", reason="wrong-type") from exc

    def thresholds(self) -> dict[str, float]:
        """Decision threshold of each head on its calibrated probability (a banded head: its fullest band's)."""
        return {head["name"]: float(head["threshold"]) for head in self.heads}

    def matrix(self, items: Sequence[ScoringInput]) -> np.ndarray:
        """Feature matrix of the items, one row each."""
        if not items:
            return np.empty((0, len(FEATURE_NAMES)))
        return np.vstack([extract_features(i.account, i.posts, i.as_of) for i in items])

    def raw_and_contributions(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Per head, TreeSHAP contributions with the base value in the last column (rows sum to the raw score)."""
        return {head["name"]: trees.contributions(head, X) for head in self.heads}

    @staticmethod
    def raw(head: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
        """A head's raw score (log-odds) of full feature rows."""
        return trees.raw(head, X)

    def probabilities(self, X: np.ndarray, n_posts: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Calibrated probability of each head for each row (no explanations, no rules).

        Args:
            n_posts: Posts per row, for heads calibrated by bands of evidence (default: the fullest band).
        """
        counts = np.full(X.shape[0], 1 << 30) if n_posts is None else np.asarray(n_posts)
        return {head["name"]: calibrate_rows(head, self.raw(head, X), counts) for head in self.heads}

    def score(self, items: Sequence[ScoringInput], top_k: int = 5) -> list[dict[str, Any]]:
        """Scores accounts with explanations.

        Args:
            items: Prepared accounts.
            top_k: Features to report per head, largest absolute contribution first.

        Returns:
            One dict per item: ``n_posts``, ``scores``, ``label``, ``explanations``, ``warnings``.
        """
        if not items:
            return []
        X = self.matrix(items)
        contribs = self.raw_and_contributions(X)
        n_posts = np.array([len(item.posts) for item in items], dtype=np.int64)
        rules = {name: self._rules[name].entries(items, contribs[name], X) for name in self.classes}
        probs = {}
        for head in self.heads:
            shift = np.array([e["contribution"] if e else 0.0 for e in rules[head["name"]]], dtype=np.float64)
            probs[head["name"]] = calibrate_rows(head, contribs[head["name"]].sum(axis=1) + shift, n_posts)
        kinds = self.types.score(items, X, top_k)
        results = []
        for row, item in enumerate(items):
            n = int(n_posts[row])
            scores = {name: round(float(probs[name][row]), 6) for name in self.classes}
            label = decide_label(scores, self.thresholds_for(n))
            evidence = summary(item, self.needed)
            if label == HUMAN_LABEL and evidence["share"] < MIN_EVIDENCE:
                label = UNKNOWN_LABEL  # absent fields are unknown: too little was carried to say human
            expl = {
                head["name"]: explain(
                    head,
                    X[row],
                    contribs[head["name"]][row],
                    top_k,
                    rules[head["name"]][row],
                    self.reference,
                    item.account.location,
                )
                for head in self.heads
            }
            # Heads whose score a rule held neutral say so (the rule's entry is the record).
            held = [held_warning(name, rules[name][row]) for name in self.classes if rules[name][row] is not None]
            abstained = [
                abstain_warning(name, n, BY_NAME[name].label_min_posts)
                for name in self.classes
                if BY_NAME[name].min_posts <= n < BY_NAME[name].label_min_posts and rules[name][row] is None
            ]
            results.append(
                {
                    "n_posts": n,
                    "scores": scores,
                    "label": label,
                    "explanations": expl,
                    "bot_types": kinds[row],
                    "evidence": evidence,
                    "warnings": warnings_for(item)
                    + [w for w in held if w]
                    + abstained
                    + ([reasons.unknown_warning(evidence["share"], MIN_EVIDENCE)] if label == UNKNOWN_LABEL else []),
                }
            )
        return results

    def thresholds_for(self, n_posts: int) -> dict[str, float]:
        """Each head's threshold for an account with ``n_posts`` posts; a head whose label abstains there has none
        (infinity: its score still ranks, the label never names it)."""
        out = {}
        for head in self.heads:
            spec = BY_NAME[head["name"]]
            out[head["name"]] = (
                math.inf if n_posts < spec.label_min_posts else float(band_of(head, n_posts)["threshold"])
            )
        return out
