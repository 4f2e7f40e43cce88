// Which account a profile page shows: {platform, key} for the botlens lookup route, or null when not a profile.
// A classic script (no modules): content scripts load it before content.js, tests load it into a page.
"use strict";

(function (root) {
  // First path segments of x.com that are pages of the site, not handles.
  const RESERVED = new Set([
    "home", "explore", "notifications", "messages", "i", "settings", "search", "compose", "login", "logout",
    "signup", "tos", "privacy", "hashtag", "intent", "share", "jobs", "bookmarks", "communities", "premium",
    "lists", "topics", "account", "download", "about", "help", "verified-choose", "grok", "jobs",
  ]);
  // Profile tabs that still show the same account.
  const TABS = new Set(["", "with_replies", "media", "likes", "highlights", "articles", "superfollows",
    "followers", "following", "verified_followers", "followers_you_follow"]);
  const TWITTER_HOSTS = new Set(["x.com", "twitter.com", "mobile.twitter.com", "www.x.com", "www.twitter.com"]);
  const TWITTER_HANDLE = /^[A-Za-z0-9_]{1,15}$/;
  const BSKY_HANDLE = /^(did:plc:[a-z2-7]{24}|did:web:[A-Za-z0-9.:-]+|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;
  const FEDI_USER = /^[A-Za-z0-9_]{1,30}$/;
  const FEDI_DOMAIN = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

  function parse(address) {
    let url;
    try { url = new URL(address); } catch (_) { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    const host = url.hostname.toLowerCase();
    const parts = url.pathname.split("/").slice(1);
    if (parts.length && parts[parts.length - 1] === "") parts.pop();
    if (TWITTER_HOSTS.has(host)) {
      const [handle, tab = ""] = parts;
      if (!handle || parts.length > 2 || RESERVED.has(handle.toLowerCase()) || !TABS.has(tab)) return null;
      return TWITTER_HANDLE.test(handle) ? { platform: "twitter", key: "@" + handle } : null;
    }
    if (host === "bsky.app") {
      if (parts[0] !== "profile" || !parts[1] || parts.length > 3) return null;
      const handle = decodeURIComponent(parts[1]);
      if (!BSKY_HANDLE.test(handle)) return null;
      // A DID is the account id itself; a handle is looked up as a handle.
      return { platform: "bluesky", key: handle.startsWith("did:") ? handle : "@" + handle.toLowerCase() };
    }
    // Mastodon (any instance): /@user for the instance's own accounts, /@user@domain for remote ones.
    if (parts.length === 1 && parts[0].startsWith("@")) {
      const [user, domain = host] = decodeURIComponent(parts[0].slice(1)).split("@");
      if (!FEDI_USER.test(user) || !FEDI_DOMAIN.test(domain)) return null;
      return { platform: "mastodon", key: "@" + user + "@" + domain.toLowerCase() };
    }
    return null;
  }

  root.botlensHandles = { parse };
})(globalThis);
