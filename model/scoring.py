"""Scoring: load a verified model artifact once, then score accounts with per-feature explanations."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model import explanations
from model.contract import SKEW_SECONDS
from model.errors import ArtifactError, InvalidRecordError
from model.features import FEATURE_INDEX, FEATURE_NAMES, MISSING, extract_features
from model.heads import BY_NAME, HUMAN_LABEL
from model.records import (
    Account,
    Timeline,
    account_from_mapping,
    format_timestamp,
    parse_timestamp,
    posts_from_mappings,
)
from model.signing import DEFAULT_PUBLIC_KEY, signature_path, verify
from model.treeshap import TreeExplainer, UnsupportedTree

log = logging.getLogger(__name__)

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACT_DIR / "botlens-model.joblib"
DEFAULT_CARD = ARTIFACT_DIR / "model_card.json"
# One thread per prediction: each gunicorn worker is one process per core, and OpenMP threads on top
# oversubscribe the cores (measured: several times slower per row inside a worker).
PREDICT_THREADS = 1
# How far above a threshold a lifted score lands (responses round scores to six decimals).
CLAIM_MARGIN = 1e-5
# Below this many posts the behavioural features rest on too little activity to trust.
FEW_POSTS = 20


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """One account ready for scoring: its profile, its posts as a columnar timeline, the snapshot time."""

    account: Account
    posts: Timeline
    as_of: float
    future_posts: int = 0
    # The observed_at the client sent, when posts newer than it moved the snapshot to the newest post.
    moved_from: float | None = None

    @classmethod
    def at(cls, account: Account, posts: Timeline, observed: float | None, now: float) -> ScoringInput:
        """The input observed at ``observed``, else at the newest post, else at ``now``.

        Posts up to a day after ``observed`` are clock skew: they count as posted at ``observed``.
        Posts later than that mean the profile and the posts come from different crawls (a profile
        seen months before its newest posts): the snapshot becomes the newest post, and the input
        remembers the time it was given (``moved_from``) for the warning.
        """
        times = posts.created_at
        newest = float(times.max()) if times.size else None
        if observed is not None and newest is not None and newest > observed + SKEW_SECONDS:
            return cls(account, posts, newest, 0, moved_from=observed)
        if observed is not None:
            as_of = observed
        elif newest is not None:
            as_of = newest
        else:
            as_of = now
        return cls(account, posts, as_of, int(np.count_nonzero(times > as_of)))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def prepare(request: Mapping[str, Any], now: float) -> ScoringInput:
    """Turns a request-shaped mapping into a :class:`ScoringInput`.

    Args:
        request: ``{"account": {...}, "posts": [...], "observed_at": ...}`` as the API accepts it.
        now: Epoch seconds used as ``observed_at`` when neither it nor any post time is given.

    Raises:
        InvalidRecordError: a required field is missing or a timestamp is unreadable.
    """
    account_data = request.get("account")
    if not isinstance(account_data, Mapping):
        raise InvalidRecordError("account is required", field="account")
    account = account_from_mapping(account_data)
    posts = posts_from_mappings(request.get("posts") or [])
    observed = request.get("observed_at")
    if observed is not None:
        try:
            observed = parse_timestamp(observed)
        except InvalidRecordError as exc:
            raise InvalidRecordError(str(exc), field="observed_at") from exc
    return ScoringInput.at(account, posts, observed, now)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def decide_label(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    """The class whose score most exceeds its threshold, else ``human``.

    The excess is measured in log-odds, so that a head with a low threshold does not win merely
    because probabilities near 1 cannot rise much further above a high one.
    """
    label, best = HUMAN_LABEL, 0.0
    for name, score in scores.items():
        if score <= thresholds[name]:
            continue
        margin = _logit(score) - _logit(thresholds[name])
        if margin > best:
            label, best = name, margin
    return label


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
        names = tuple(artifact.get("feature_names", ()))
        if names != FEATURE_NAMES:
            missing = sorted(set(FEATURE_NAMES) - set(names))
            extra = sorted(set(names) - set(FEATURE_NAMES))
            raise ArtifactError(
                f"artifact features differ from this code (missing {missing}, unexpected {extra})", reason="features"
            )
        self.artifact = artifact
        self.card = dict(card or {})
        self.version: str = str(artifact["version"])
        self.heads: list[dict[str, Any]] = list(artifact["heads"])
        # Class order is whatever the artifact lists; nothing here assumes bot/troll/hijacked.
        self.classes: list[str] = [head["name"] for head in self.heads]
        self.reference: Mapping[str, Mapping[str, float]] = artifact.get("reference", {})
        self._points: dict[str, tuple[float, float]] = {}
        for head in self.heads:
            head["columns"] = np.array([FEATURE_NAMES.index(f) for f in head["features"]], dtype=np.intp)
            head["explainer"] = _explainer(head)

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
                the checksum differs, the artifact is not a botlens model, or its features differ
                from this code. Nothing is unpickled before the signature and checksum pass.
        """
        artifact_path, card_path = Path(artifact_path), Path(card_path)
        if not card_path.is_file():
            raise ArtifactError(f"model card not found: {card_path}", reason="card-missing")
        if not artifact_path.is_file():
            raise ArtifactError(f"model artifact not found: {artifact_path}", reason="artifact-missing")
        card_bytes = card_path.read_bytes()
        signature = signature_path(card_path)
        if signature.is_file() and public_key is not None:
            verify(card_bytes, signature.read_bytes(), Path(public_key))
        elif not allow_unsigned:
            raise ArtifactError(f"model card is not signed (no {signature.name}, or no trusted key)", reason="unsigned")
        try:
            card = json.loads(card_bytes)
        except ValueError as exc:
            raise ArtifactError(f"model card is not JSON: {exc}", reason="card-invalid") from exc
        artifact_meta = card.get("artifact") if isinstance(card, dict) else None
        expected = artifact_meta.get("sha256") if isinstance(artifact_meta, dict) else None
        if not isinstance(expected, str):
            raise ArtifactError("model card records no artifact sha256", reason="card-invalid")
        actual = sha256_file(artifact_path)
        if actual != expected:
            raise ArtifactError(
                f"artifact checksum mismatch: card says {expected}, file is {actual}", reason="checksum"
            )
        import joblib  # joblib is pickle: imported only once the signature and checksum passed.

        try:
            artifact = joblib.load(artifact_path)
        except Exception as exc:  # a truncated or corrupt file fails in many ways inside pickle and zlib
            raise ArtifactError(f"artifact unreadable: {type(exc).__name__}: {exc}", reason="unreadable") from exc
        if not isinstance(artifact, dict) or not isinstance(artifact.get("heads"), list) or "version" not in artifact:
            raise ArtifactError(f"artifact is not a botlens model ({type(artifact).__name__})", reason="wrong-type")
        try:
            return cls(artifact, card)
        except ArtifactError:
            raise
        except Exception as exc:  # heads without boosters, calibration or features of the expected shape
            raise ArtifactError(f"artifact heads malformed: {type(exc).__name__}: {exc}", reason="wrong-type") from exc

    def thresholds(self) -> dict[str, float]:
        """Decision threshold of each head on its calibrated probability."""
        return {head["name"]: float(head["threshold"]) for head in self.heads}

    def matrix(self, items: Sequence[ScoringInput]) -> np.ndarray:
        """Feature matrix of the items, one row each."""
        if not items:
            return np.empty((0, len(FEATURE_NAMES)))
        return np.vstack([extract_features(i.account, i.posts, i.as_of) for i in items])

    def raw_and_contributions(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Per head, TreeSHAP contributions with the base value in the last column (rows sum to the raw score)."""
        out = {}
        for head in self.heads:
            rows = X[:, head["columns"]]
            explainer = head["explainer"]
            out[head["name"]] = (
                explainer.contributions(rows)
                if explainer is not None
                else head["booster"].predict(rows, pred_contrib=True, num_threads=PREDICT_THREADS)
            )
        return out

    @staticmethod
    def calibrate(head: Mapping[str, Any], raw: np.ndarray) -> np.ndarray:
        """Maps raw log-odds to calibrated probabilities with the head's calibration.

        ``platt``: a logistic map ``1 / (1 + exp(-(a * raw + b)))``, strictly increasing, so distinct raw
        scores keep distinct probabilities; clipped to ``[floor, ceil]``. Older artifacts carry an
        isotonic table (``x``, ``y``) read by interpolation.
        """
        cal = head["calibration"]
        raw = np.asarray(raw, dtype=np.float64)
        if cal.get("method") == "platt":
            p = 1.0 / (1.0 + np.exp(-(cal["a"] * raw + cal["b"])))
            return np.clip(p, cal["floor"], cal["ceil"])
        return np.clip(np.interp(raw, cal["x"], cal["y"]), 0.0, 1.0)

    @staticmethod
    def raw_at(head: Mapping[str, Any], p: float, above: bool) -> float:
        """A raw score whose calibrated probability is at most ``p`` (``above=False``: the largest such)
        or just above it (``above=True``: the smallest raw score whose probability exceeds ``p``)."""
        cal = head["calibration"]
        if cal.get("method") == "platt":
            target = min(max(p + (CLAIM_MARGIN if above else 0.0), cal["floor"]), cal["ceil"])
            return float((math.log(target / (1.0 - target)) - cal["b"]) / cal["a"])
        x, y = np.asarray(cal["x"]), np.asarray(cal["y"])
        if above:
            index = np.flatnonzero(y > p)
            return float(x[index[0]]) if index.size else float(x[-1])
        index = np.flatnonzero(y <= p)
        return float(x[index[-1]]) if index.size else float(x[0])

    def probabilities(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated probability of each head for each row (no explanations)."""
        return {
            head["name"]: self.calibrate(
                head, head["booster"].predict(X[:, head["columns"]], raw_score=True, num_threads=PREDICT_THREADS)
            )
            for head in self.heads
        }

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
        rules = {head["name"]: self._rules(head, items, contribs[head["name"]], X) for head in self.heads}
        probs = {}
        for head in self.heads:
            shift = np.array([e["contribution"] if e else 0.0 for e in rules[head["name"]]], dtype=np.float64)
            probs[head["name"]] = self.calibrate(head, contribs[head["name"]].sum(axis=1) + shift)
        thresholds = self.thresholds()
        results = []
        for row, item in enumerate(items):
            scores = {name: round(float(probs[name][row]), 6) for name in self.classes}
            label = decide_label(scores, thresholds)
            expl = {}
            for head in self.heads:
                name = head["name"]
                contrib = contribs[name][row]
                expl[name] = self._explain(head, X[row], contrib, top_k, rules[name][row])
            # Heads whose score a rule held neutral say so (the rule's entry is the record).
            held = [_held_warning(name, rules[name][row]) for name in self.classes if rules[name][row] is not None]
            results.append(
                {
                    "n_posts": len(item.posts),
                    "scores": scores,
                    "label": label,
                    "explanations": expl,
                    "warnings": warnings_for(item) + [w for w in held if w],
                }
            )
        return results

    def _rules(
        self, head: Mapping[str, Any], items: Sequence[ScoringInput], contrib: np.ndarray, X: np.ndarray
    ) -> list[Any]:
        """Per row, the explanation entry a declared rule of the head adds (``model.heads``), or None.

        Each entry's contribution moves the raw score: to the neutral value when there are fewer posts
        than the head needs to make a claim (``min_posts``) or the posts rule the class out
        (``held_by``), or just above the threshold when the account declares itself of the head's class
        (``declared_by``) or its posts show it (``lifted_by``). The entry is part of the explanation, so
        base value plus contributions still equal the raw score.
        """
        entries: list[Any] = [None] * len(items)
        spec = BY_NAME.get(head["name"])
        if spec is None or not (spec.min_posts or spec.declared_by or spec.lifted_by or spec.held_by):
            return entries
        if not len(items):
            return entries
        raw = contrib.sum(axis=1)
        neutral, lifted = self._rule_points(head, float(contrib[0, -1]))
        name = head["name"]
        held, lifts = spec.held_by, spec.lifted_by
        for row, item in enumerate(items):
            n = len(item.posts)
            if n < spec.min_posts:
                entries[row] = {
                    "feature": "posts",
                    "value": float(n),
                    "contribution": round(float(neutral - raw[row]), 6),
                    "reason": explanations.too_few_posts_reason(name, n, spec.min_posts),
                }
            elif held and held.holds(share := float(X[row, FEATURE_INDEX[held.feature]]), n):
                entries[row] = {
                    "feature": held.name,
                    "value": round(share, 4),
                    "contribution": round(float(min(neutral - raw[row], 0.0)), 6),
                    "reason": explanations.ruled_out_reason(name, share, n, held.says),
                }
            elif spec.declared_by and getattr(item.account, spec.declared_by, None) is True:
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": spec.declared_by,
                    "value": 1.0,
                    "contribution": round(lift, 6),
                    "reason": explanations.declared_reason(name, spec.declared_by, lifted=lift > 0),
                }
            elif lifts and lifts.holds(share := float(X[row, FEATURE_INDEX[lifts.feature]]), n):
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": lifts.name,
                    "value": round(share, 4),
                    "contribution": round(lift, 6),
                    "reason": explanations.evidence_reason(name, share, n, lifts.says, lifted=lift > 0),
                }
        return entries

    def _rule_points(self, head: Mapping[str, Any], base: float) -> tuple[float, float]:
        """The head's neutral raw score and the raw score just above its threshold (fixed per model: cached).

        Neutral is the score of an account the head knows nothing about (its base value, the same for
        every row), or where that is above the threshold the highest raw score not above it.
        """
        points = self._points.get(head["name"])
        if points is None:
            threshold = float(head["threshold"])
            at_base = float(self.calibrate(head, np.array([base]))[0])
            neutral = base if at_base <= threshold else self.raw_at(head, threshold, above=False)
            points = self._points[head["name"]] = (neutral, self.raw_at(head, threshold, above=True))
        return points

    def _explain(
        self, head: Mapping[str, Any], x: np.ndarray, contrib: np.ndarray, top_k: int, rule: Any = None
    ) -> dict[str, Any]:
        features = head["features"]
        feature_contrib = contrib[:-1]
        order = np.argsort(-np.abs(feature_contrib), kind="stable")[:top_k]
        top = []
        if rule is not None:
            # A declared rule's entry comes first: it is the reason an analyst needs to see.
            top.append(rule)
            order = order[: max(top_k - 1, 0)]
        for j in order:
            c = float(feature_contrib[j])
            if c == 0.0:
                break
            name = features[j]
            value = float(x[head["columns"][j]])
            top.append(
                {
                    "feature": name,
                    "value": None if value == MISSING else _round(value),
                    "contribution": round(c, 6),
                    "reason": explanations.reason(name, value, c, head["name"], self.reference.get(name)),
                }
            )
        return {
            "base_value": round(float(contrib[-1]), 6),
            "raw_score": round(float(contrib.sum()) + (rule["contribution"] if rule else 0.0), 6),
            "top_features": top,
        }


def _held_warning(head: str, rule: Mapping[str, Any]) -> str | None:
    """The warning for a rule that held a head's score neutral, or None for a rule that did not."""
    spec = BY_NAME[head]
    if rule["feature"] == "posts":
        return explanations.held_warning(head, spec.min_posts)
    if spec.held_by is not None and rule["feature"] == spec.held_by.name:
        return explanations.ruled_out_warning(head, spec.held_by.says)
    return None


def _explainer(head: Mapping[str, Any]) -> TreeExplainer | None:
    """The head's vectorised TreeSHAP, or None (LightGBM's own pred_contrib) for trees it does not support."""
    try:
        return TreeExplainer(head["booster"])
    except UnsupportedTree as exc:
        log.warning("head %s explained by LightGBM's pred_contrib: %s", head["name"], exc)
        return None


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return 0.0
    return round(value, 4) if abs(value) < 1000 else round(value, 1)
