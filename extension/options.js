// Server URL and API key, kept in the extension's local storage.
"use strict";

const fields = ["serverUrl", "apiKey"];

chrome.storage.local.get(fields).then((stored) => {
  for (const name of fields) document.getElementById(name).value = stored[name] || "";
});

document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = Object.fromEntries(fields.map((name) => [name, document.getElementById(name).value.trim()]));
  await chrome.storage.local.set(values);
  document.getElementById("saved").textContent = "Saved.";
});
