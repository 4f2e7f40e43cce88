// The botlens page: score a pasted or bundled body, or look a stored score up; draw scores and explanations.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let thresholds = null;

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "style") node.style.cssText = value; // CSSOM, which the page's CSP allows (style attributes it refuses)
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function headers(json) {
  const out = json ? { "Content-Type": "application/json" } : {};
  const key = $("api-key").value.trim();
  if (key) out.Authorization = "Bearer " + key;
  return out;
}

async function call(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(Boolean(options.body)) });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { detail: text }; }
  return { ok: response.ok, status: response.status, body };
}

async function loadThresholds() {
  if (thresholds) return thresholds;
  const answer = await call("v1/model");
  if (answer.ok) thresholds = answer.body.thresholds;
  return thresholds || {};
}

function show(...nodes) {
  const target = $("result-body");
  target.replaceChildren(...nodes.filter(Boolean));
  $("result").hidden = false;
  $("result").scrollIntoView();
}

function problem(answer) {
  const body = answer.body || {};
  const items = Object.entries(body.errors || {}).map(([field, messages]) => el("li", { text: `${field}: ${messages.join(" ")}` }));
  return el("div", { class: "error", role: "alert" },
    el("p", { text: `${answer.status} ${body.title || "Error"}: ${body.detail || ""}` }),
    items.length ? el("ul", {}, ...items) : null);
}

function scoreBars(scores, limits) {
  const grid = el("div", { class: "bars", role: "list", "aria-label": "Scores against thresholds" });
  for (const [head, score] of Object.entries(scores)) {
    const threshold = limits[head];
    const over = threshold !== undefined && score > threshold;
    const bar = el("div", { class: "bar" }, el("div", { class: "fill" + (over ? " over" : ""), style: `width:${(score * 100).toFixed(1)}%` }));
    if (threshold !== undefined) bar.append(el("div", { class: "threshold", style: `left:${(threshold * 100).toFixed(1)}%`, title: `threshold ${threshold}` }));
    const words = threshold === undefined ? "" : over ? `, above its threshold ${threshold.toFixed(3)}` : `, below its threshold ${threshold.toFixed(3)}`;
    grid.append(
      el("span", { text: head, role: "listitem", "aria-label": `${head} score ${score.toFixed(3)}${words}`, "data-head": head }),
      bar,
      el("span", { text: score.toFixed(3), class: "score", "data-score": head }));
  }
  return grid;
}

// A waterfall from the base value through each top contribution (and the rest together) to the raw score.
function waterfall(head, explanation) {
  const steps = explanation.top_features.map((f) => ({ name: f.feature, delta: f.contribution }));
  const shown = steps.reduce((sum, s) => sum + s.delta, 0);
  const rest = explanation.raw_score - explanation.base_value - shown;
  if (Math.abs(rest) > 1e-6) steps.push({ name: "all other features", delta: rest });
  const rows = [{ name: "base value", from: 0, to: explanation.base_value, kind: "total" }];
  let at = explanation.base_value;
  for (const s of steps) { rows.push({ name: s.name, from: at, to: at + s.delta, kind: s.delta >= 0 ? "raise" : "lower" }); at += s.delta; }
  rows.push({ name: "raw score (log-odds)", from: 0, to: explanation.raw_score, kind: "total" });
  const values = rows.flatMap((r) => [r.from, r.to]);
  const lo = Math.min(...values), hi = Math.max(...values);
  const width = 600, left = 190, right = 60, rowHeight = 22;
  const x = (v) => left + ((v - lo) / (hi - lo || 1)) * (width - left - right);
  const svg = el("svg:svg", { class: "waterfall", viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`, role: "img",
    "aria-label": `${head}: base value ${explanation.base_value.toFixed(2)}, raw score ${explanation.raw_score.toFixed(2)} log-odds` });
  rows.forEach((r, i) => {
    const y = i * rowHeight + 2;
    const color = r.kind === "raise" ? "var(--raise)" : r.kind === "lower" ? "var(--lower)" : "var(--muted)";
    svg.append(
      el("svg:text", { x: 0, y: y + 15, text: r.name.length > 28 ? r.name.slice(0, 27) + "…" : r.name }),
      el("svg:rect", { x: Math.min(x(r.from), x(r.to)), y: y + 3, width: Math.max(Math.abs(x(r.to) - x(r.from)), 1), height: rowHeight - 6, fill: color }),
      el("svg:text", { x: width - right + 6, y: y + 15, text: (r.kind === "total" ? r.to : r.to - r.from).toFixed(2) }));
  });
  return svg;
}

// The bot types: each type's score, the leading one marked, and why it leads.
function botTypes(kinds, leading) {
  if (!kinds) return null;
  const list = el("ul", { class: "types", id: "bot-types", "aria-label": "Bot types (among bots)" },
    ...Object.entries(kinds).map(([name, score]) =>
      el("li", { "data-type": name, class: name === leading ? "leading" : "", text: `${name} ${score.toFixed(3)}${name === leading ? " (leading)" : ""}` })));
  return el("section", { class: "bot-types" }, el("h3", { text: `Kind of bot: ${leading}` }), list);
}

function renderScored(result, limits) {
  const heads = Object.entries(result.explanations).map(([head, explanation]) =>
    el("section", { class: "head", "data-head": head },
      el("h3", { text: `${head}: why ${result.scores[head].toFixed(3)}` }),
      waterfall(head, explanation),
      el("ol", {}, ...explanation.top_features.map((f) => el("li", { text: f.reason })))));
  show(
    el("p", {}, el("span", { text: "Label: " }), el("span", { class: "label", id: "label", "data-label": result.label, text: result.label })),
    el("p", { text: `${result.platform} account ${result.account_id}, ${result.n_posts} posts, observed ${result.observed_at}, model ${result.model_version}` }),
    scoreBars(result.scores, limits),
    result.warnings.length ? el("ul", { class: "warnings", "aria-label": "Warnings" }, ...result.warnings.map((w) => el("li", { text: w }))) : null,
    ...heads,
    botTypes(result.bot_types.scores, result.bot_types.leading),
    el("ol", { class: "type-reasons" }, ...result.bot_types.explanation.top_features.map((f) => el("li", { text: f.reason }))));
}

function renderStored(result, limits) {
  const heads = Object.entries(result.reasons).map(([head, reasons]) =>
    el("section", { class: "head", "data-head": head }, el("h3", { text: `${head}: top reasons` }), el("ol", {}, ...reasons.map((r) => el("li", { text: r })))));
  show(
    el("p", {}, el("span", { text: "Label: " }), el("span", { class: "label", id: "label", "data-label": result.label, text: result.label })),
    el("p", { text: `${result.platform} account ${result.account_id}${result.screen_name ? " (@" + result.screen_name + ")" : ""}, scored ${result.scored_at} by model ${result.model_version}` }),
    scoreBars(result.scores, limits),
    ...heads,
    botTypes(result.bot_types, result.bot_type));
}

async function score(event) {
  event.preventDefault();
  const answer = await call(`v1/score?format=${encodeURIComponent($("format").value)}`, { method: "POST", body: $("body").value });
  if (!answer.ok) return show(problem(answer));
  renderScored(answer.body, await loadThresholds());
}

async function lookup(event) {
  event.preventDefault();
  const handle = $("handle").value.trim();
  const answer = await call(`v1/accounts/${encodeURIComponent($("platform").value)}/${encodeURIComponent(handle)}`);
  if (!answer.ok) return show(problem(answer));
  renderStored(answer.body, await loadThresholds());
}

async function loadSamples() {
  const response = await fetch("static/samples/index.json");
  if (!response.ok) return;
  for (const sample of await response.json()) $("sample").append(el("option", { value: sample.file, "data-format": sample.format, text: sample.title }));
}

async function pickSample() {
  const option = $("sample").selectedOptions[0];
  if (!option.value) return;
  const response = await fetch("static/samples/" + option.value);
  $("body").value = await response.text();
  $("format").value = option.dataset.format;
}

document.addEventListener("DOMContentLoaded", () => {
  const saved = sessionStorage.getItem("botlens-key");
  if (saved) $("api-key").value = saved;
  $("api-key").addEventListener("change", () => { sessionStorage.setItem("botlens-key", $("api-key").value); thresholds = null; });
  $("result-title").tabIndex = -1;
  $("score-form").addEventListener("submit", score);
  $("lookup-form").addEventListener("submit", lookup);
  $("sample").addEventListener("change", pickSample);
  loadSamples();
});
