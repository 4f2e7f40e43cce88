"""Scorer: verified loading, exact explanations, calibrated scores and labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from model import signing
from model.errors import ArtifactError
from model.features import FEATURE_NAMES, MISSING
from model.heads import BY_NAME, HEAD_NAMES, TRAINED_TYPES, TYPE_NAMES
from model.records import ScoringInput, prepare
from model.scoring import DEFAULT_CARD, Scorer, calibrate, decide_label, sha256_file, trees, warnings_for
from model.scoring import reasons as explanations
from model.scoring.calibration import band_of, raw_at
from tests import synthetic
from tests.perturbation import top_bot_features_moved


def _items(n: int = 12):
    rng = np.random.default_rng(5)
    bodies = (
        [synthetic.bot(i, rng, 200) for i in range(n // 3)]
        + [synthetic.human(i, rng, 200) for i in range(n // 3)]
        + [synthetic.troll(i, rng, 200) for i in range(n // 3)]
    )
    return [prepare(b, now=synthetic.OBSERVED) for b in bodies]


def test_scorer_contributions_plus_base_equal_raw_score(scorer: Scorer) -> None:
    X = scorer.matrix(_items())
    contribs = scorer.raw_and_contributions(X)
    for head in scorer.heads:
        raw = head["booster"].predict(X[:, head["columns"]], raw_score=True)
        np.testing.assert_allclose(contribs[head["name"]].sum(axis=1), raw, rtol=1e-9, atol=1e-9)


def test_scorer_explanations_report_base_and_raw_consistently(scorer: Scorer) -> None:
    items = _items()
    X = scorer.matrix(items)
    contribs = scorer.raw_and_contributions(X)
    results = scorer.score(items, top_k=len(X[0]))
    for row, result in enumerate(results):
        for name, expl in result["explanations"].items():
            total = expl["base_value"] + sum(f["contribution"] for f in expl["top_features"])
            assert total == pytest.approx(expl["raw_score"], abs=1e-4)
            assert expl["raw_score"] == pytest.approx(contribs[name][row].sum(), abs=1e-5)


def test_scorer_bot_types_are_calibrated_and_the_leading_one_explained_exactly(scorer: Scorer) -> None:
    items = _items()
    X = scorer.matrix(items)
    for row, result in enumerate(scorer.score(items, top_k=len(X[0]))):
        kinds = result["bot_types"]
        assert list(kinds["scores"]) == list(TYPE_NAMES)
        assert all(0 <= p <= 1 for p in kinds["scores"].values())
        lead = kinds["leading"]
        assert lead == max(TRAINED_TYPES, key=lambda t: kinds["scores"][t]) or lead == "self_declared"
        expl = kinds["explanation"]
        assert expl["type"] == lead
        total = expl["base_value"] + sum(f["contribution"] for f in expl["top_features"])
        assert total == pytest.approx(expl["raw_score"], abs=1e-4)
        if lead != "self_declared":
            model = scorer.types.types[lead]
            raw = float(trees.raw(model, X[row : row + 1])[0])
            assert expl["raw_score"] == pytest.approx(raw, abs=1e-5)
            assert kinds["scores"][lead] == pytest.approx(float(calibrate(model, np.array([raw]))[0]), abs=1e-6)


def test_scorer_reports_the_evidence_it_used(scorer: Scorer) -> None:
    item = prepare({"account": {"id": "1", "screen_name": "x", "followers_count": 3}}, now=synthetic.OBSERVED)
    evidence = scorer.score([item])[0]["evidence"]
    assert {"account.screen_name", "account.followers_count"} <= set(evidence["fields_used"])
    assert "posts" in evidence["fields_absent"] and "account.created_at" in evidence["fields_absent"]
    assert evidence["share"] == pytest.approx(len(evidence["fields_used"]) / len(scorer.needed), abs=1e-4)


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_decide_label_compares_excess_in_log_odds() -> None:
    # 0.999 over 0.55 is far more evidence than 0.92 over 0.29, though the difference is smaller.
    assert decide_label({"bot": 0.999, "troll": 0.92}, {"bot": 0.55, "troll": 0.29}) == "bot"
    assert decide_label({"bot": 0.5, "troll": 0.2}, {"bot": 0.55, "troll": 0.29}) == "human"
    assert decide_label({"bot": 0.6, "troll": 0.95}, {"bot": 0.55, "troll": 0.29}) == "troll"


def test_scorer_scores_are_probabilities_and_label_follows_thresholds(scorer: Scorer) -> None:
    thresholds = scorer.thresholds()
    for result in scorer.score(_items()):
        assert set(result["scores"]) == set(scorer.classes)
        assert all(0.0 <= p <= 1.0 for p in result["scores"].values())
        over = {k: logit(p) - logit(thresholds[k]) for k, p in result["scores"].items() if p > thresholds[k]}
        expected = max(over, key=over.get) if over else "human"
        assert result["label"] == expected


def test_scorer_separates_synthetic_classes(scorer: Scorer) -> None:
    results = scorer.score(_items(30))
    bots, humans = results[:10], results[10:20]
    assert min(r["scores"]["bot"] for r in bots) > max(r["scores"]["bot"] for r in humans)


def test_scorer_class_order_read_from_artifact(small_model: tuple[Path, Path], tmp_path: Path) -> None:
    artifact = joblib.load(small_model[0])
    artifact["heads"] = list(reversed(artifact["heads"]))
    scorer = Scorer(artifact)
    assert scorer.classes == [h["name"] for h in artifact["heads"]]
    assert list(scorer.score(_items(3))[0]["scores"]) == scorer.classes


def _copy(small_model: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    artifact, card = folder / "m.joblib", folder / "c.json"
    shutil.copy(small_model[0], artifact)
    shutil.copy(small_model[1], card)
    shutil.copy(signing.signature_path(small_model[1]), signing.signature_path(card))
    return artifact, card


def _resigned(artifact_object: Any, folder: Path, small_model: tuple[Path, Path], key: Path) -> tuple[Path, Path]:
    """An artifact written as given, with a card that records its checksum and is properly signed."""
    path = folder / "m.joblib"
    joblib.dump(artifact_object, path)
    card = json.loads(small_model[1].read_text())
    card["artifact"]["sha256"] = sha256_file(path)
    (folder / "c.json").write_text(json.dumps(card))
    signing.sign(folder / "c.json", key)
    return path, folder / "c.json"


def test_scorer_load_refuses_checksum_mismatch(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    artifact, card = _copy(small_model, tmp_path)
    with open(artifact, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ArtifactError, match="checksum") as caught:
        Scorer.load(artifact, card, public_key=public_key)
    assert caught.value.reason == "checksum"


def test_scorer_load_refuses_missing_files(tmp_path: Path, small_model: tuple[Path, Path], public_key: Path) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        Scorer.load(tmp_path / "none.joblib", small_model[1], public_key=public_key)
    with pytest.raises(ArtifactError, match="not found"):
        Scorer.load(small_model[0], tmp_path / "none.json", public_key=public_key)


def test_scorer_refuses_feature_list_that_differs(
    small_model: tuple[Path, Path], public_key: Path, signing_key: Path, tmp_path: Path
) -> None:
    artifact = joblib.load(small_model[0])
    artifact["feature_names"] = artifact["feature_names"][:-1] + ["something_else"]
    path, card = _resigned(artifact, tmp_path, small_model, signing_key)
    with pytest.raises(ArtifactError, match="features differ"):
        Scorer.load(path, card, public_key=public_key)


def test_scorer_refuses_unsigned_card_unless_allowed(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    artifact, card = _copy(small_model, tmp_path)
    signing.signature_path(card).unlink()
    with pytest.raises(ArtifactError) as caught:
        Scorer.load(artifact, card, public_key=public_key)
    assert caught.value.reason == "unsigned"
    assert Scorer.load(artifact, card, public_key=public_key, allow_unsigned=True).version == "test-0"


def test_scorer_refuses_a_card_rewritten_with_a_matching_checksum(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    """A writer who swaps the artifact and records its sha256 in the card cannot make the signature verify."""

    class Payload:
        def __reduce__(self) -> Any:
            return (Path.touch, (tmp_path / "pwned",))

    joblib.dump({"version": "evil", "heads": [], "payload": Payload()}, tmp_path / "m.joblib")
    (tmp_path / "x").mkdir()
    _, card = _copy(small_model, tmp_path / "x")
    record = json.loads(card.read_text())
    record["artifact"]["sha256"] = sha256_file(tmp_path / "m.joblib")
    card.write_text(json.dumps(record))
    with pytest.raises(ArtifactError) as caught:
        Scorer.load(tmp_path / "m.joblib", card, public_key=public_key)
    assert caught.value.reason == "signature-invalid"
    assert not (tmp_path / "pwned").exists()  # nothing was unpickled


def test_scorer_refuses_a_signature_by_another_key(small_model: tuple[Path, Path], tmp_path: Path) -> None:
    signing.generate(tmp_path / "other.key", tmp_path / "other.pub")
    with pytest.raises(ArtifactError) as caught:
        Scorer.load(*small_model, public_key=tmp_path / "other.pub")
    assert caught.value.reason == "signature-invalid"


@pytest.mark.parametrize("case", ["card-is-a-list", "card-not-json", "truncated", "wrong-type", "heads-malformed"])
def test_scorer_load_turns_every_bad_file_into_an_artifact_error(
    case: str, small_model: tuple[Path, Path], public_key: Path, signing_key: Path, tmp_path: Path
) -> None:
    if case in ("card-is-a-list", "card-not-json"):
        artifact, card = _copy(small_model, tmp_path)
        card.write_text("[]" if case == "card-is-a-list" else "{not json")
        signing.sign(card, signing_key)
    elif case == "truncated":
        data = small_model[0].read_bytes()
        artifact, card = _resigned({}, tmp_path, small_model, signing_key)
        artifact.write_bytes(data[: len(data) // 2])
        record = json.loads(card.read_text())
        record["artifact"]["sha256"] = sha256_file(artifact)
        card.write_text(json.dumps(record))
        signing.sign(card, signing_key)
    elif case == "wrong-type":
        artifact, card = _resigned(["not", "a", "model"], tmp_path, small_model, signing_key)
    else:
        heads = [{"name": name} for name in HEAD_NAMES]  # the declared heads and types, without boosters
        types = [{"name": name} for name in TRAINED_TYPES]
        artifact, card = _resigned(
            {"version": "x", "heads": heads, "types": types, "feature_names": list(FEATURE_NAMES)},
            tmp_path,
            small_model,
            signing_key,
        )
    with pytest.raises(ArtifactError) as caught:
        Scorer.load(artifact, card, public_key=public_key)
    assert caught.value.reason in {"card-invalid", "unreadable", "wrong-type"}


@pytest.mark.parametrize("part", ["heads", "types"])
@pytest.mark.parametrize("change", ["missing", "unknown", "repeated"])
def test_scorer_load_refuses_an_artifact_whose_heads_are_not_the_declared_ones(
    part: str, change: str, small_model: tuple[Path, Path], public_key: Path, signing_key: Path, tmp_path: Path
) -> None:
    artifact = joblib.load(small_model[0])
    heads = artifact[part]
    if change == "missing":
        heads = heads[:-1]
    elif change == "unknown":
        heads = [*heads[:-1], {**heads[-1], "name": "impostor"}]
    else:
        heads = [*heads, heads[0]]
    path, card = _resigned({**artifact, part: heads}, tmp_path, small_model, signing_key)
    with pytest.raises(ArtifactError) as caught:
        Scorer.load(path, card, public_key=public_key)
    assert caught.value.reason == "heads"


def test_prepare_observed_at_defaults_to_newest_post_else_now() -> None:
    body = {
        "account": {"id": "1"},
        "posts": [{"created_at": "2020-01-01T00:00:00Z"}, {"created_at": "2020-01-02T00:00:00+02:00"}],
    }
    assert prepare(body, now=5.0).as_of == pytest.approx(1577916000.0)
    assert prepare({"account": {"id": "1"}}, now=5.0).as_of == 5.0


def test_scorer_top_feature_perturbation_moves_score_expected_way(scorer: Scorer) -> None:
    """Setting a bot's top bot-raising feature to the typical human value lowers its bot score."""
    rng = np.random.default_rng(11)
    items = [prepare(synthetic.bot(i, rng, 150), now=synthetic.OBSERVED) for i in range(5)]
    assert top_bot_features_moved(scorer, items) >= 3


def test_scorer_vectorised_treeshap_gives_the_same_results_as_pred_contrib(scorer: Scorer) -> None:
    items = _items()
    fast = scorer.score(items, top_k=8)
    explainers = [head["explainer"] for head in scorer.heads]
    assert all(e is not None for e in explainers)
    try:
        for head in scorer.heads:
            head["explainer"] = None  # LightGBM's own pred_contrib, the fallback path.
        reference = scorer.score(items, top_k=8)
    finally:
        for head, explainer in zip(scorer.heads, explainers):
            head["explainer"] = explainer
    assert fast == reference


@pytest.mark.parametrize(
    "name, value, reference, expected",
    [
        (
            "max_posts_per_day",
            145.0,
            {"p10": 1.0, "p90": 12.0},
            "Most posts in one day: 145 (typical accounts: 1 to 12). Raises the bot score.",
        ),
        (
            "profile_url",
            1.0,
            {"p10": 1.0, "p90": 1.0},
            "Profile link: yes, as for most accounts. Raises the bot score.",
        ),
        ("verified", 0.0, {"p10": 1.0, "p90": 1.0}, "Verified: no, unlike most accounts. Raises the bot score."),
        ("retweet_share", 0.22, {"p10": 0.0, "p90": 1.0}, "Reposts: 22%. Raises the bot score."),
        ("mentions_per_post", 2.0, None, "Mentions per post: 2. Raises the bot score."),
        (
            "screen_name_length",
            MISSING,
            None,
            "Handle length: not known, because the request has no account.screen_name. "
            "Its absence raises the bot score.",
        ),
        (
            "gap_median_s",
            MISSING,
            None,
            "Median gap between posts: not known, because too few posts were supplied to measure it. "
            "Its absence raises the bot score.",
        ),
        (
            "top_source_share",
            MISSING,
            None,
            "Posts from the main client: not known, because no supplied post has source, or too few "
            "posts were supplied to measure it. Its absence raises the bot score.",
        ),
    ],
)
def test_reason_reads_as_a_sentence(name: str, value: float, reference: Any, expected: str) -> None:
    assert explanations.reason(name, value, 0.3, "bot", reference) == expected


@pytest.mark.parametrize("n, expected", [(1, "only 1 post supplied"), (2, "only 2 posts supplied")])
def test_warnings_agree_in_number(n: int, expected: str) -> None:
    item = prepare({"account": {"id": "1"}, "posts": [{"created_at": 1.6e9 + i} for i in range(n)]}, now=1.7e9)
    assert any(w.startswith(expected + ":") for w in warnings_for(item))


def _declared(body: dict[str, Any], flag: Any) -> ScoringInput:
    account = {**body["account"], "declared_bot": flag}
    return prepare({**body, "account": account}, now=synthetic.OBSERVED)


def test_declared_bot_scores_at_least_its_threshold_with_the_reason_first(scorer: Scorer) -> None:
    body = synthetic.human(11, np.random.default_rng(11), 60)
    plain, declared = scorer.score([_declared(body, None), _declared(body, True)])
    threshold = scorer.thresholds()["bot"]
    assert plain["scores"]["bot"] <= threshold  # an ordinary account ...
    assert declared["scores"]["bot"] > threshold  # ... that says it is a bot is scored as one
    top = declared["explanations"]["bot"]["top_features"][0]
    assert top["feature"] == "declared_bot" and top["contribution"] > 0
    assert top["reason"].startswith("Declares itself automated (account.declared_bot).")
    # The explanation still adds up: base + every contribution (the declaration's included) = raw score.
    full = scorer.raw_and_contributions(scorer.matrix([_declared(body, True)]))["bot"][0]
    expl = declared["explanations"]["bot"]
    assert expl["raw_score"] == pytest.approx(full.sum() + top["contribution"], abs=1e-5)
    head = next(h for h in scorer.heads if h["name"] == "bot")
    assert declared["scores"]["bot"] == pytest.approx(
        float(calibrate(head, np.array([expl["raw_score"]]))[0]), abs=1e-6
    )
    # Other heads are untouched.
    assert declared["scores"]["troll"] == plain["scores"]["troll"]


def test_declared_bot_false_or_absent_changes_nothing(scorer: Scorer) -> None:
    body = synthetic.bot(12, np.random.default_rng(12), 60)
    absent, false = scorer.score([_declared(body, None), _declared(body, False)])
    assert absent == false
    assert all(f["feature"] != "declared_bot" for e in absent["explanations"].values() for f in e["top_features"])


def test_declared_bot_already_above_threshold_keeps_its_score(scorer: Scorer) -> None:
    body = synthetic.bot(13, np.random.default_rng(13), 150)
    plain, declared = scorer.score([_declared(body, None), _declared(body, True)])
    assert plain["scores"]["bot"] > scorer.thresholds()["bot"]
    assert declared["scores"] == plain["scores"]
    top = declared["explanations"]["bot"]["top_features"][0]
    assert top["contribution"] == 0 and "above its threshold already" in top["reason"]


def _through(body: dict[str, Any], client: str, every: int = 1) -> ScoringInput:
    """The body with every ``every``-th post published through ``client``."""
    posts = [{**p, "source": client} if i % every == 0 else p for i, p in enumerate(body["posts"])]
    return prepare({**body, "posts": posts}, now=synthetic.OBSERVED)


def test_automated_posting_lifts_the_bot_score_and_rules_out_a_troll_claim(scorer: Scorer) -> None:
    body = synthetic.troll(31, np.random.default_rng(31), 80)
    item = _through(body, "twitterfeed")
    result = scorer.score([item])[0]
    thresholds = scorer.thresholds()
    assert result["scores"]["bot"] > thresholds["bot"] and result["label"] == "bot"
    bot = result["explanations"]["bot"]["top_features"][0]
    assert bot["feature"] == "automated_posting" and bot["value"] == 1.0 and bot["contribution"] >= 0
    assert bot["reason"].startswith("Of 80 posts: 100% of posts came through scheduling and automation tools")
    troll = result["explanations"]["troll"]["top_features"][0]
    assert troll["feature"] == "automated_posting" and troll["contribution"] <= 0
    assert result["scores"]["troll"] <= thresholds["troll"]
    assert any("the troll score is kept at or below its neutral value" in w for w in result["warnings"])
    # Both explanations still add up: base + contributions (the rule's included) = raw score.
    contribs = scorer.raw_and_contributions(scorer.matrix([item]))
    for name, entry in (("bot", bot), ("troll", troll)):
        expl = result["explanations"][name]
        assert expl["raw_score"] == pytest.approx(contribs[name][0].sum() + entry["contribution"], abs=1e-5)


@pytest.mark.parametrize("n_posts, every", [(19, 1), (80, 2)])
def test_automated_posting_needs_twenty_posts_nine_in_ten_automated(scorer: Scorer, n_posts: int, every: int) -> None:
    body = synthetic.troll(32, np.random.default_rng(32), n_posts)
    result = scorer.score([_through(body, "twitterfeed", every)])[0]
    entries = [f["feature"] for e in result["explanations"].values() for f in e["top_features"]]
    assert "automated_posting" not in entries


def test_troll_claims_need_posts(scorer: Scorer) -> None:
    body = synthetic.troll(21, np.random.default_rng(21), 120)
    body["posts"] = []
    item = prepare(body, now=synthetic.OBSERVED)
    result = scorer.score([item])[0]
    head = next(h for h in scorer.heads if h["name"] == "troll")
    band = band_of(head, 0)
    base = scorer.raw_and_contributions(scorer.matrix([item]))["troll"][0][-1]
    # Neutral: the calibrated base value, or the highest raw score not above the threshold.
    neutral = min(float(calibrate(band, np.array([base]))[0]), band["threshold"])
    assert result["scores"]["troll"] == pytest.approx(neutral, abs=1e-5) and result["label"] != "troll"
    expl = result["explanations"]["troll"]
    first = expl["top_features"][0]
    assert first["feature"] == "posts" and "too few to judge troll behaviour (a claim needs 1)" in first["reason"]
    # base + every contribution (the rule's entry included) = the held raw score, whose calibration is the score
    held = float(calibrate(band, np.array([expl["raw_score"]]))[0])
    assert held == pytest.approx(result["scores"]["troll"], abs=1e-6)
    assert any("the troll score is held at its neutral value" in w for w in result["warnings"])


@pytest.mark.parametrize("n_posts", [1, 3, 4])
def test_troll_scores_thin_timelines_but_the_label_abstains(scorer: Scorer, n_posts: int) -> None:
    bodies = [synthetic.troll(seed, np.random.default_rng(seed), 120) for seed in (21, 22, 23)]
    items = [prepare({**b, "posts": b["posts"][-n_posts:]}, now=synthetic.OBSERVED) for b in bodies]
    results = scorer.score(items)
    head = next(h for h in scorer.heads if h["name"] == "troll")
    raws = scorer.raw_and_contributions(scorer.matrix(items))["troll"].sum(axis=1)
    for result, raw in zip(results, raws):
        # The model's own score, calibrated in the band of its evidence: a ranking, not a held value.
        band = band_of(head, n_posts)
        assert result["scores"]["troll"] == pytest.approx(float(calibrate(band, np.array([raw]))[0]), abs=1e-6)
        assert all(f["feature"] != "posts" for f in result["explanations"]["troll"]["top_features"])
        assert result["label"] != "troll"
        assert any(f"only {n_posts} post" in w and "never names troll below 5 posts" in w for w in result["warnings"])
    forced = scorer.thresholds_for(n_posts)
    assert forced["troll"] == float("inf") and forced["bot"] < 1


def test_troll_bands_have_their_own_calibration_and_threshold(scorer: Scorer) -> None:
    head = next(h for h in scorer.heads if h["name"] == "troll")
    bands = head["bands"]
    assert [b["min_posts"] for b in bands] == list(BY_NAME["troll"].bands)
    assert band_of(head, 0) is bands[0] and band_of(head, 4) is bands[0] and band_of(head, 5) is bands[1]
    assert band_of(head, 10_000) is bands[-1] and head["threshold"] == bands[-1]["threshold"]
    assert scorer.thresholds_for(60)["troll"] == bands[-1]["threshold"]
    assert scorer.thresholds_for(7)["troll"] == bands[1]["threshold"]


def test_troll_claims_with_enough_posts_are_the_models(scorer: Scorer) -> None:
    item = prepare(synthetic.troll(22, np.random.default_rng(22), 120), now=synthetic.OBSERVED)
    result = scorer.score([item])[0]
    raw = scorer.raw_and_contributions(scorer.matrix([item]))["troll"][0].sum()
    band = band_of(next(h for h in scorer.heads if h["name"] == "troll"), 120)
    assert result["scores"]["troll"] == pytest.approx(float(calibrate(band, np.array([raw]))[0]), abs=1e-6)
    assert all(f["feature"] != "posts" for f in result["explanations"]["troll"]["top_features"])
    assert not any("held at its neutral value" in w for w in result["warnings"])


def test_calibration_is_strictly_increasing_so_scores_stay_distinct(scorer: Scorer) -> None:
    raw = np.linspace(-6, 6, 1001)
    for head in [band for h in scorer.heads for band in h.get("bands", [h])]:
        p = calibrate(head, raw)
        assert head["calibration"]["method"] == "platt"
        inside = (p > head["calibration"]["floor"]) & (p < head["calibration"]["ceil"])
        assert np.all(np.diff(p[inside]) > 0)
        # No threshold on a plateau: just below and just above it the scores differ.
        at = raw_at(head, head["threshold"], above=False)
        assert (
            calibrate(head, np.array([at - 1e-3]))[0]
            < head["threshold"]
            < calibrate(head, np.array([raw_at(head, head["threshold"], above=True)]))[0]
        )


def test_label_needs_a_score_strictly_above_the_threshold() -> None:
    thresholds = {"bot": 0.5, "troll": 0.3}
    assert decide_label({"bot": 0.5, "troll": 0.3}, thresholds) == "human"
    assert decide_label({"bot": 0.500001, "troll": 0.3}, thresholds) == "bot"


def test_shipped_card_records_fine_grained_calibrated_scores() -> None:
    card = json.loads(DEFAULT_CARD.read_text())
    for head in card["heads"]:
        overall = head["test_metrics"]["overall"]
        assert head["calibration"] == "platt"
        assert overall["ece"] <= 0.05, head["name"]
        assert overall["distinct_scores"] >= min(200, overall["n"] // 5), head["name"]
