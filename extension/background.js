// Asks the configured botlens server for an account's stored result; the page's own origin never talks to it.
"use strict";

const DEFAULTS = { serverUrl: "http://127.0.0.1:8000", apiKey: "" };

async function lookup(platform, key) {
  const { serverUrl, apiKey } = { ...DEFAULTS, ...(await chrome.storage.local.get(["serverUrl", "apiKey"])) };
  const base = serverUrl.replace(/\/+$/, "");
  const headers = apiKey ? { Authorization: "Bearer " + apiKey } : {};
  try {
    const response = await fetch(`${base}/v1/accounts/${encodeURIComponent(platform)}/${encodeURIComponent(key)}`, { headers });
    if (!response.ok) return { status: response.status };
    return { status: response.status, result: await response.json() };
  } catch (error) {
    // Unreachable server, or CORS not allowing this extension's origin: no badge.
    return { status: 0, error: String(error) };
  }
}

chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  if (message && message.type === "botlens-lookup") {
    lookup(message.platform, message.key).then(reply);
    return true; // the reply comes asynchronously
  }
  return false;
});
