"""Adapters that turn the real labelled dumps in ``shared/data`` into request-shaped records.

Each adapter yields :class:`LabelledAccount` objects whose ``request`` is exactly what a client would
POST to ``/v1/score``, so training, evaluation and load tests exercise the same path as serving.
What a dump lacks stays absent (never invented), except where noted per adapter.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from model.contract import DEFAULT_LIMITS
from model.labels import BOT, HUMAN, TROLL
from model.training.paths import data_dir

_HASHTAG = re.compile(r"(?<!\w)#(\w+)", re.UNICODE)
_MENTION = re.compile(r"(?<!\w)@(\w{1,15})", re.UNICODE)
_URL = re.compile(r"https?://\S+")
_IRA_LANGS = {
    "English": "en",
    "Russian": "ru",
    "German": "de",
    "Ukrainian": "uk",
    "Serbian": "sr",
    "Uzbek": "uz",
    "Bulgarian": "bg",
    "Italian": "it",
    "Macedonian": "mk",
    "Arabic": "ar",
    "French": "fr",
    "Spanish": "es",
    "Romanian": "ro",
    "Norwegian": "no",
    "Portuguese": "pt",
    "Dutch": "nl",
    "Farsi (Persian)": "fa",
    "Swedish": "sv",
    "Vietnamese": "vi",
    "Catalan": "ca",
    "Estonian": "et",
    "Pushto": "ps",
    "Croatian": "hr",
    "Turkish": "tr",
    "Finnish": "fi",
    "Albanian": "sq",
    "Japanese": "ja",
    "Polish": "pl",
    "Icelandic": "is",
    "Tagalog (Filipino)": "tl",
    "Lithuanian": "lt",
    "Somali": "so",
    "Kurdish": "ku",
    "Latvian": "lv",
    "Czech": "cs",
    "Slovak": "sk",
    "Indonesian": "id",
    "Hebrew": "he",
    "Malay": "ms",
    "Hungarian": "hu",
    "Korean": "ko",
    "Hindi": "hi",
    "Slovenian": "sl",
    "Urdu": "ur",
    "Danish": "da",
    "Greek": "el",
    "Thai": "th",
    "Simplified Chinese": "zh",
    "Gujarati": "gu",
}


@dataclass(frozen=True, slots=True)
class LabelledAccount:
    """One real account from a dump, with its label and request-shaped body."""

    dataset: str
    key: str
    label: str
    group: str
    request: dict[str, Any]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _twitter_time(text: Any) -> str | None:
    """Twitter's ``Tue Jun 11 11:20:35 +0000 2013`` or ``YYYY-MM-DD HH:MM:SS`` (UTC) to RFC 3339."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    for fmt in ("%a %b %d %H:%M:%S %z %Y", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M"):
        try:
            dt = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return _iso(dt.timestamp())
    return None


def _int(value: Any) -> int | None:
    try:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            return None
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)


def _flag(value: Any, blank_is_false: bool = False) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return False if blank_is_false else None
    text = str(value).strip().lower()
    if text in {"1", "1.0", "true", "t", "yes"}:
        return True
    if text in {"0", "0.0", "false", "f", "no"}:
        return False
    return None


def _entities(text: str | None) -> dict[str, list[str]]:
    if not text:
        return {"hashtags": [], "mentions": [], "urls": []}
    return {
        "hashtags": _HASHTAG.findall(text),
        "mentions": _MENTION.findall(text),
        "urls": _URL.findall(text),
    }


def _clean(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


def _pd():
    import pandas as pd  # Training-only dependency: serving never imports the adapters.

    return pd


def _epoch_seconds(column: Any) -> Any:
    """UTC epoch seconds of a text column, whatever resolution pandas picks for datetimes."""
    pd = _pd()
    return (pd.to_datetime(column, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def load_cresci2015(root: Path) -> Iterator[LabelledAccount]:
    """Cresci 2015: Italian genuine accounts (human) vs bought fake followers (bot), with tweet texts.

    Reply flags come from texts that start with a mention; hashtags, mentions and links from the text.
    """
    pd = _pd()
    folder = root / "cresci-2015-mowghli"
    users = pd.read_csv(folder / "count_master_ds1.csv", dtype={"uid": str})
    tweets = pd.read_csv(folder / "tweets_recent500_per_user.csv.gz", dtype={"user_id": str, "tweet_id": str})
    tweets["epoch"] = _epoch_seconds(tweets["created_at"])
    by_user = {uid: frame for uid, frame in tweets.groupby("user_id", sort=False)}
    for row in users.itertuples(index=False):
        uid = str(row.uid)
        label = HUMAN if row.Label == "Legitimate User" else BOT
        posts = []
        frame = by_user.get(uid)
        if frame is not None:
            for tid, epoch, rt, text in zip(
                frame["tweet_id"], frame["epoch"], frame["is_retweet_heuristic"], frame["text"]
            ):
                text = _str(text)
                posts.append(
                    _clean(
                        {
                            "id": tid,
                            "created_at": _iso(epoch),
                            "text": text,
                            "is_retweet": bool(rt),
                            "is_reply": bool(text and text.startswith("@")),
                            **_entities(text),
                        }
                    )
                )
        account = _clean(
            {
                "id": uid,
                "screen_name": _str(row._5),
                "name": _str(row.Name),
                "followers_count": _int(row.NumberOfFollowers),
                "friends_count": _int(row.NumberOfFollowing),
                "statuses_count": _int(row.NumberOfTweets),
            }
        )
        yield LabelledAccount("cresci-2015", uid, label, label, {"account": account, "posts": posts})


def _v11_profile(row: Any, blank_is_false: bool) -> dict[str, Any]:
    return _clean(
        {
            "id": str(row["id"]),
            "screen_name": _str(row.get("screen_name")),
            "name": _str(row.get("name")),
            "description": _str(row.get("description")) or ("" if blank_is_false else None),
            "location": _str(row.get("location")),
            "url": _str(row.get("url")),
            "lang": _str(row.get("lang")),
            "created_at": _twitter_time(row.get("created_at")),
            "followers_count": _int(row.get("followers_count")),
            "friends_count": _int(row.get("friends_count")),
            "statuses_count": _int(row.get("statuses_count")),
            "favourites_count": _int(row.get("favourites_count")),
            "listed_count": _int(row.get("listed_count")),
            "verified": _flag(row.get("verified"), blank_is_false),
            "default_profile": _flag(row.get("default_profile"), blank_is_false),
            "default_profile_image": _flag(row.get("default_profile_image"), blank_is_false),
        }
    )


def load_cresci2017(root: Path) -> Iterator[LabelledAccount]:
    """Cresci 2017 (partial): genuine accounts vs social/traditional spambots, a 1-in-50 tweet sample.

    The sample keeps entity counts, not entities: hashtags, mentions and links are represented by
    placeholder tokens unique to each post (counts right, concentration unknowable), links by bare
    Twitter wrapper links (which carry no domain). Profiles exist
    for genuine accounts and social spambots #1 only; in those dumps a blank flag means false.
    """
    pd = _pd()
    folder = root / "cresci-2017-partial"
    profiles: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    for name, group in (
        ("users_genuine_accounts.csv.gz", "genuine_accounts"),
        ("users_social_spambots_1.csv.gz", "social_spambots_1"),
    ):
        frame = pd.read_csv(folder / name, dtype={"id": str}, keep_default_na=False, na_values=[""])
        for row in frame.to_dict("records"):
            crawled = row.get("crawled_at")
            observed = _twitter_time(crawled) if isinstance(crawled, str) else None
            profiles[str(row["id"])] = (group, _v11_profile(row, blank_is_false=True), observed)
    tweets = pd.read_csv(folder / "tweets_1in50_sample.csv.gz", dtype={"user_id": str})
    tweets = tweets[tweets["user_id"].notna() & (tweets["user_id"] != "") & tweets["created_at_utc"].notna()]
    groups: dict[str, str] = {}
    posts_by_user: dict[str, list[dict[str, Any]]] = {}
    for uid, frame in tweets.groupby("user_id", sort=False):
        groups[uid] = str(frame["group"].iloc[0])
        posts = []
        for i, row in enumerate(frame.itertuples(index=False)):
            posts.append(
                _clean(
                    {
                        "created_at": row.created_at_utc,
                        "source": _str(row.source_client),
                        "is_reply": bool(_flag(row.is_reply)),
                        "is_retweet": bool(_flag(row.is_retweet)),
                        "hashtags": [f"_h{i}_{j}" for j in range(_int(row.num_hashtags) or 0)],
                        "mentions": [f"_m{i}_{j}" for j in range(_int(row.num_mentions) or 0)],
                        "urls": ["https://t.co/"] * (_int(row.num_urls) or 0),
                    }
                )
            )
        posts_by_user[uid] = posts
    for uid in sorted(set(profiles) | set(posts_by_user)):
        group, account, observed = profiles.get(uid, (groups.get(uid, ""), {"id": uid}, None))
        label = HUMAN if group == "genuine_accounts" else BOT
        posts = posts_by_user.get(uid, [])
        request: dict[str, Any] = {"account": account, "posts": posts}
        # Profiles were crawled before the last sampled tweets of some accounts: the snapshot is the later.
        newest = max((p["created_at"] for p in posts), default=None)
        if observed and (newest is None or observed > newest):
            request["observed_at"] = observed
        yield LabelledAccount("cresci-2017", uid, label, group, request)


def load_kaggle2017(root: Path) -> Iterator[LabelledAccount]:
    """Bots from bot lists vs notable humans (2017): full v1.1 profiles and the latest status."""
    pd = _pd()
    frame = pd.read_csv(root / "kaggle-bots-nonbots-2017" / "accounts_with_latest_status.csv", dtype={"user_id": str})
    for row in frame.to_dict("records"):
        row = {**row, "id": row["user_id"]}
        account = _v11_profile(row, blank_is_false=False)
        posts = []
        created = _twitter_time(row.get("status_created_at"))
        if created:
            text = _str(row.get("status_text"))
            posts.append(
                _clean(
                    {
                        "created_at": created,
                        "text": text,
                        "source": _str(row.get("status_source_client")),
                        "lang": _str(row.get("status_lang")),
                        "is_retweet": bool(_flag(row.get("status_is_retweet"))),
                        "is_reply": bool(_flag(row.get("status_is_reply"))),
                        "is_quote": bool(_flag(row.get("status_is_quote"))),
                        **_entities(text),
                    }
                )
            )
        label = BOT if row["label"] == "bot" else HUMAN
        request: dict[str, Any] = {"account": account, "posts": posts}
        if not posts:
            request["observed_at"] = "2017-03-31T00:00:00Z"  # collection month per the provenance
        yield LabelledAccount("kaggle-2017", str(row["user_id"]), label, label, request)


def load_ira(root: Path) -> Iterator[LabelledAccount]:
    """IRA troll accounts: 538 timelines (minute timestamps) joined by handle with NBC profiles.

    Counts come from the newest tweet's snapshot unless NBC has the profile; the location is NBC's, else
    the region the dump gives most of the account's tweets. NBC profiles with no
    538 timeline become profile-only accounts observed at the takedown (2017-11).
    """
    pd = _pd()
    nbc = pd.read_csv(root / "ira-nbc-users" / "nbc_users_with_538_category.csv", dtype={"id": str})
    nbc = nbc[nbc["has_profile"] == 1]
    nbc_by_handle = {str(r["screen_name"]).lower(): r for r in nbc.to_dict("records")}
    tweets = pd.read_csv(root / "ira-troll-tweets-538" / "tweets_recent500_per_author.csv.gz", dtype={"author_id": str})
    tweets["epoch"] = _epoch_seconds(tweets["publish_date"])
    seen = set()
    for _author, frame in tweets.groupby("author_id", sort=False):
        frame = frame.sort_values("epoch")
        last = frame.iloc[-1]
        posts = []
        for epoch, lang, ptype, text in zip(frame["epoch"], frame["language"], frame["post_type"], frame["content"]):
            text = _str(text)
            posts.append(
                _clean(
                    {
                        "created_at": _iso(epoch),
                        "text": text,
                        "lang": _IRA_LANGS.get(lang),
                        "is_retweet": ptype == "R",
                        "is_quote": ptype == "Q",
                        "is_reply": bool(text and text.startswith("@")),
                        **_entities(text),
                    }
                )
            )
        handle = str(last["author"])
        profile = nbc_by_handle.get(handle.lower())
        if profile is not None:
            seen.add(handle.lower())
            account = _v11_profile({**profile, "verified": profile.get("verified")}, blank_is_false=False)
        else:
            account = {
                "id": str(int(last["external_author_id"])) if pd.notna(last["external_author_id"]) else handle,
                "screen_name": handle,
            }
        # Where the dump places the account (Social Studio's region of its tweets), when the profile says nothing.
        regions = frame["region"][frame["region"].notna() & (frame["region"] != "Unknown")]
        if not account.get("location") and len(regions):
            account["location"] = str(regions.mode().iloc[0])
        account.setdefault("followers_count", _int(last["followers"]))
        account.setdefault("friends_count", _int(last["following"]))
        account.setdefault("statuses_count", _int(last["updates"]))
        account = _clean(account)
        yield LabelledAccount(
            "ira", handle.lower(), TROLL, str(last["account_category"]), {"account": account, "posts": posts}
        )
    for handle, profile in nbc_by_handle.items():
        if handle in seen:
            continue
        account = _v11_profile(profile, blank_is_false=False)
        group = profile.get("account_category_538")
        yield LabelledAccount(
            "ira",
            handle,
            TROLL,
            _str(group) or "unmatched",
            {"account": account, "posts": [], "observed_at": "2017-11-01T00:00:00Z"},
        )


def load_client_tweets(root: Path) -> Iterator[LabelledAccount]:
    """Unlabelled ordinary users (2020-21 vaccine and COVID samples), assumed human: 1-3 posts each.

    Authors are keyed by name, the only identifier the dumps keep.
    """
    pd = _pd()
    folder = root / "tweets-with-client-2014-2021"
    # The two samples: tweets about vaccines over four months, and COVID-19 tweets of one 7-hour window.
    for name, sample in (
        ("vaccination_tweets_2020-12_2021-04.csv.gz", "vaccination"),
        ("covid19_tweets_2020-07-25.csv.gz", "covid-window"),
    ):
        frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        for user, rows in frame.groupby("user_name", sort=False):
            rows = rows.to_dict("records")
            first = rows[-1]
            posts = []
            for r in rows:
                created = _twitter_time(r.get("date"))
                if not created:
                    continue
                text = _str(r.get("text")) or None
                posts.append(
                    _clean(
                        {
                            "created_at": created,
                            "text": text,
                            "source": r.get("source") or None,
                            "is_retweet": bool(_flag(r.get("is_retweet"))),
                            **_entities(text),
                        }
                    )
                )
            account = _clean(
                {
                    "id": f"name:{user}",
                    "name": user or None,
                    "description": first.get("user_description", ""),
                    "location": first.get("user_location") or None,
                    "created_at": _twitter_time(first.get("user_created")),
                    "followers_count": _int(first.get("user_followers")),
                    "friends_count": _int(first.get("user_friends")),
                    "favourites_count": _int(first.get("user_favourites")),
                    "verified": _flag(first.get("user_verified")),
                }
            )
            if posts:
                yield LabelledAccount(
                    "client-tweets", f"{name[:5]}:{user}", HUMAN, sample, {"account": account, "posts": posts}
                )


# Twitter's information-operations releases (the hashed public versions), one folder each in the shared
# data: their dataset name there, and the operation they document.
IO_RELEASES = {"io-thailand-2020": "thailand"}
# Operations: the datasets whose accounts a state operated (each a source of troll examples only).
OPERATIONS = ("ira", *IO_RELEASES)
_IO_REF = re.compile(r"^RT @(\w{1,50}):")


def _io_list(text: Any) -> list[str]:
    """A list column of an IO release (``['a', 'b']``, Python's repr) as strings; entries longer than the
    contract takes (a few tracking-laden links) are left out, as a client would have to."""
    import ast

    if not isinstance(text, str) or not text.strip().startswith("["):
        return []
    try:
        values = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    if not isinstance(values, list):
        return []
    return [str(v) for v in values if v not in (None, "") and len(str(v)) <= DEFAULT_LIMITS.string_length]


def _filled(value: Any) -> str | None:
    """A cell's text, None where it is blank (the releases write absent values as empty cells)."""
    text = _str(value)
    return text if text and text.strip() else None


def _io_time(text: Any) -> str | None:
    """An IO release's ``YYYY-MM-DD HH:MM`` (UTC, minutes) or ``YYYY-MM-DD`` as RFC 3339."""
    if not isinstance(text, str) or not text.strip():
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return _iso(datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    return None


def _io_post(row: Any) -> dict[str, Any]:
    text = _filled(row.tweet_text)
    retweet = _flag(row.is_retweet) is True
    # Reposts name their original's author in their text ("RT @handle: ..."); the release hashes most ids.
    rt_author = _filled(row.retweet_userid) or (m.group(1) if retweet and text and (m := _IO_REF.match(text)) else None)
    return _clean(
        {
            "id": _filled(row.tweetid),
            "created_at": _io_time(row.tweet_time),
            "text": text,
            "source": _filled(row.tweet_client_name),
            "lang": _filled(row.tweet_language),
            "is_retweet": retweet,
            "retweet_of": _ref_of(_filled(row.retweet_tweetid), rt_author) if retweet else None,
            "reply_to": _ref_of(_filled(row.in_reply_to_tweetid), _filled(row.in_reply_to_userid)),
            "quote_of": _ref_of(_filled(row.quoted_tweet_tweetid), None),
            "hashtags": _io_list(row.hashtags),
            "urls": _io_list(row.urls),
            "mentions": _io_list(row.user_mentions),
            "like_count": _int(row.like_count),
            "retweet_count": _int(row.retweet_count),
            "reply_count": _int(row.reply_count),
        }
    )


def _ref_of(post_id: str | None, author: str | None) -> dict[str, str] | None:
    out = _clean({"id": post_id, "author": author})
    return out or None


def load_twitter_io(root: Path, name: str) -> Iterator[LabelledAccount]:
    """One of Twitter's information-operations releases (standard 30-column hashed schema): every account troll.

    Handles and display names are hashed in the public release, so they are left out (a hash says
    nothing of how an account names itself); creation dates are days. Posts have minute timestamps,
    their client, language, retweet, reply and quote ids, hashtags, links and mentions. An account
    without posts is a profile-only account observed at its release's last post.
    """
    pd = _pd()
    folder = root / name
    tweets = pd.read_csv(folder / "tweets.csv.gz", dtype=str, keep_default_na=False)
    users = pd.read_csv(folder / "users.csv.gz", dtype=str, keep_default_na=False)
    group = IO_RELEASES.get(name, name)
    last = max((t for t in map(_io_time, tweets["tweet_time"]) if t), default=None)
    by_user = {uid: frame for uid, frame in tweets.groupby("userid", sort=False)}
    for row in users.itertuples(index=False):
        uid = str(row.userid)
        account = _clean(
            {
                "id": uid,
                "description": _str(row.user_profile_description) or "",
                "location": _str(row.user_reported_location) or None,
                "url": _str(row.user_profile_url) or None,
                "lang": _str(row.account_language) or None,
                "created_at": _io_time(row.account_creation_date),
                "followers_count": _int(row.follower_count),
                "friends_count": _int(row.following_count),
            }
        )
        frame = by_user.get(uid)
        posts = (
            [p for p in map(_io_post, frame.itertuples(index=False)) if "created_at" in p] if frame is not None else []
        )
        request: dict[str, Any] = {"account": account, "posts": posts}
        if not posts and last:
            request["observed_at"] = last
        yield LabelledAccount(name, uid, TROLL, group, request)


# The Bot Repository sets, each its own dataset (``bot-repository-2019/<name>.jsonl.gz``).
BOT_REPOSITORY = (
    "botometer-feedback-2019",
    "cresci-rtbust-2019",
    "cresci-stock-2018",
    "gilani-2017",
    "political-bots-2019",
    "pronbots-2019",
    "vendor-purchased-2019",
    "verified-2019",
)


def load_bot_repository(root: Path, name: str) -> Iterator[LabelledAccount]:
    """One Bot Repository set (2017-2019): full v1.1 profiles, no timelines; observed when probed.

    Booleans a v1.1 user object always carries are taken as given (absent means false there).
    """
    with gzip.open(root / "bot-repository-2019" / f"{name}.jsonl.gz") as lines:
        for line in lines:
            row = orjson.loads(line)
            user = {**row["user"], "id": row["user"]["id_str"]}
            label = BOT if row["label"] == "bot" else HUMAN
            request: dict[str, Any] = {
                "account": _v11_profile(user, blank_is_false=True),
                "posts": [],
                "observed_at": _twitter_time(row["probed_at"]),
            }
            yield LabelledAccount(name, user["id_str"], label, label, request)


def family(dataset: str) -> str:
    """The collection a dataset belongs to: the Bot Repository's sets count as one in training weights."""
    return "bot-repository-2019" if dataset in BOT_REPOSITORY else dataset


def _io_loader(name: str) -> Callable[[Path], Iterator[LabelledAccount]]:
    return lambda root: load_twitter_io(root, name)


def _bot_repository_loader(name: str) -> Callable[[Path], Iterator[LabelledAccount]]:
    return lambda root: load_bot_repository(root, name)


LOADERS: dict[str, Callable[[Path], Iterator[LabelledAccount]]] = {
    "cresci-2015": load_cresci2015,
    "cresci-2017": load_cresci2017,
    "kaggle-2017": load_kaggle2017,
    "ira": load_ira,
    "client-tweets": load_client_tweets,
    **{name: _io_loader(name) for name in IO_RELEASES},
    **{name: _bot_repository_loader(name) for name in BOT_REPOSITORY},
}


def load_all(root: Path | None = None, names: tuple[str, ...] | None = None) -> list[LabelledAccount]:
    """Loads every (or the named) dataset from ``root`` (default ``model.training.paths.data_dir()``)."""
    root = root or data_dir()
    out: list[LabelledAccount] = []
    for name, loader in LOADERS.items():
        if names is None or name in names:
            out.extend(loader(root))
    return out
