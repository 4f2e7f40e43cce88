// On a profile page: look the account up and show a small badge with the stored label and top reasons.
"use strict";

(function () {
  const BADGE_ID = "botlens-badge-host";
  let shown = null;

  function remove() {
    document.getElementById(BADGE_ID)?.remove();
  }

  function topReasons(result) {
    // The reasons of the head behind the label, else of the highest score.
    const heads = Object.keys(result.scores);
    const head = heads.includes(result.label) ? result.label : heads.sort((a, b) => result.scores[b] - result.scores[a])[0];
    return { head, reasons: (result.reasons[head] || []).slice(0, 3) };
  }

  function badge(result) {
    remove();
    const host = document.createElement("div");
    host.id = BADGE_ID;
    host.dataset.label = result.label;
    // A shadow tree: the page's styles do not reach the badge, nor the badge's the page.
    const shadow = host.attachShadow({ mode: "open" });
    const { head, reasons } = topReasons(result);
    const flagged = result.label !== "human";
    const style = document.createElement("style");
    style.textContent = `
      .b { position: fixed; z-index: 2147483647; right: 12px; bottom: 12px; max-width: 320px; font: 13px/1.4 system-ui, sans-serif;
           background: #fff; color: #1b1b1f; border: 2px solid ${flagged ? "#b3261e" : "#137333"}; border-radius: 8px; padding: 8px 10px;
           box-shadow: 0 2px 8px rgba(0,0,0,.2); }
      .l { font-weight: 700; color: ${flagged ? "#b3261e" : "#137333"}; }
      ul { margin: 4px 0 0; padding-left: 18px; } button { float: right; border: 0; background: none; font-size: 16px; cursor: pointer; }`;
    const box = document.createElement("div");
    box.className = "b";
    box.setAttribute("role", "status");
    const close = document.createElement("button");
    close.textContent = "×";
    close.setAttribute("aria-label", "Hide the botlens badge");
    close.addEventListener("click", remove);
    const title = document.createElement("div");
    const label = document.createElement("span");
    label.className = "l";
    label.textContent = result.label;
    title.append("botlens: ", label, ` (${head} ${result.scores[head].toFixed(2)}, model ${result.model_version}, ${result.scored_at.slice(0, 10)})`);
    const list = document.createElement("ul");
    for (const reason of reasons) {
      const item = document.createElement("li");
      item.textContent = reason;
      list.append(item);
    }
    box.append(close, title, list);
    shadow.append(style, box);
    document.documentElement.append(host);
  }

  async function check() {
    const account = globalThis.botlensHandles.parse(location.href);
    const id = account ? account.platform + "/" + account.key : null;
    if (id === shown) return;
    shown = id;
    remove();
    if (!account) return;
    const answer = await chrome.runtime.sendMessage({ type: "botlens-lookup", ...account });
    // Nothing stored (404), no access or no server: no badge and no noise.
    if (shown === id && answer && answer.status === 200 && answer.result) badge(answer.result);
  }

  check();
  // Profile sites are single-page apps: the address changes without a new document.
  setInterval(check, 1000);
})();
