"""Curated classes of posting clients (the ``source`` of a post), used by the client features.

The lists name clients by their lower-cased display name. Sources: Twitter's own clients, the
client mix of ordinary users in the shared 2014-2021 samples, and hand-labelled "mostly bot" client
domains (ercas/twitter_bot_detector, 2017). A client outside every list counts as "unknown": bot
operators often register a custom app per account, so an unknown client is itself a signal.
"""

from __future__ import annotations

import unicodedata

# Desktop web clients: the dominant client of troll-factory operators (posting from office PCs).
DESKTOP_WEB = frozenset(
    {
        "web",
        "twitter web client",
        "twitter web app",
        "twitter.com",
        "tweetdeck",
        "tweetdeck web app",
        "twitter for mac",
        "twitter for windows",
        "mastodon web",
        "web client",
    }
)

# Phone and tablet clients: typical of ordinary human use.
MOBILE = frozenset(
    {
        "twitter for iphone",
        "twitter for android",
        "twitter for ipad",
        "twitter for android tablets",
        "mobile web",
        "mobile web (m2)",
        "mobile web (m5)",
        "twitter for windows phone",
        "twitter for blackberry",
        "twitter for blackberry®",
        "tweetbot for ios",
        "tweetbot for iοs",
        "twitterrific for ios",
        "echofon",
        "twitter for nokia s40",
        "ubersocial for android",
        "ubersocial for iphone",
        "tweetcaster for android",
        "twitter lite",
        "plume for android",
        "fenix for android",
        "talon android",
        "ivory for ios",
        "tusky",
        "mastodon for ios",
        "mastodon for android",
        "metatext",
        "toot!",
    }
)

# Automation, scheduling, cross-posting and bot-hosting tools.
AUTOMATION = frozenset(
    {
        "tweetadder v4",
        "tweetadder",
        "twitterfeed",
        "dlvr.it",
        "ifttt",
        "buffer",
        "hootsuite",
        "hootsuite inc.",
        "socialflow",
        "socialoomph",
        "cheap bots, done quick!",
        "twittbot.net",
        "botly",
        "botize",
        "zapier.com",
        "zapier",
        "sprout social",
        "sendible",
        "tweetmyjobs",
        "trendinalia",
        "trendsmap",
        "trendsmap alerting",
        "twibble.io",
        "recurpost",
        "nonli",
        "blog2social app",
        "microsoft power platform",
        "paper.li",
        "roundteam",
        "statusbrew",
        "crowdfire",
        "publer",
        "later",
        "coschedule",
        "agorapulse",
        "dlvrit.com",
        "friends+me",
        "tweetspinner",
        "twuffer",
        "tweet old post",
        "wordpress.com",
        "wp to twitter",
        "revive old posts",
        "api",
        "tweetsportivo",
        "google",
        "tweet jukebox",
        "feedly",
        "rss",
        "rss2twitter",
        "twitter ads",
        "twitter media studio",
        "sprinklr",
        "sprinklr publishing",
        "falcon social media management",
        "spredfast",
        "spredfast app",
        "echobox social",
        "socialnewsdesk",
        "tweetdeck for automation",
    }
)

# Well-known clients used by people (not counted as unknown).
KNOWN_HUMAN = (
    DESKTOP_WEB
    | MOBILE
    | frozenset(
        {
            "instagram",
            "facebook",
            "foursquare",
            "swarm",
            "linkedin",
            "youtube",
            "vine - make a scene",
            "path",
            "tumblr",
            "pinterest",
            "flickr",
            "soundcloud",
            "spotify",
            "tweetbot for mac",
            "twitterrific",
            "tweetlogix",
            "janetter",
            "seesmic",
            "plume",
            "bluesky",
            "mastodon",
        }
    )
)


def normalise_source(source: str | None) -> str | None:
    """Lower-cases a client name and folds look-alike characters; None or blank means unknown."""
    if source is None:
        return None
    text = unicodedata.normalize("NFKC", source).strip().lower()
    return text or None


def is_automation(source: str) -> bool:
    """Tells whether a normalised client name is an automation tool (listed, or names itself a bot)."""
    if source in KNOWN_HUMAN:
        return False
    return source in AUTOMATION or "bot" in source.split() or source.endswith("bot") or "_ebooks" in source


def is_known(source: str) -> bool:
    """Tells whether a normalised client name is on any curated list."""
    return source in KNOWN_HUMAN or is_automation(source)
