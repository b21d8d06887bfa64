"""The counter page: one self-contained HTML document (inline CSS and JS, no external asset).

It works offline: nothing is fetched but the kiosk's own endpoints. Words come from
the catalogue (``_strings.py``), passed in as JSON; the verdict is shown in words, with
a symbol and a colour (never colour alone), in large type with AA contrast (the
colours below have contrast ratios of at least 7:1 against their backgrounds).
Every value from a presentation is inserted with ``textContent``, never as HTML.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["render_page"]

_CSS = """
:root { --fg: #111; --bg: #fff; --muted: #333; --ok-bg: #e6f4ea; --ok-fg: #0b4d1c;
        --no-bg: #fde8e8; --no-fg: #7a0c0c; --warn-bg: #fff4d6; --warn-fg: #4d3600;
        --accent: #0b3d91; }
* { box-sizing: border-box; }
body { margin: 0; font: 20px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: center; justify-content: space-between;
         padding: .75rem 1.25rem; border-bottom: 2px solid #000; }
h1 { font-size: 1.6rem; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border-radius: .4rem;
         border: 2px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 4px solid #000; outline-offset: 2px; }
#bundle { font-size: 1rem; color: var(--muted); }
.banner { padding: .75rem 1rem; border: 2px solid; border-radius: .4rem; margin: 1rem 0; font-weight: 600; }
.banner.warn { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-fg); }
.banner.refused { background: var(--no-bg); color: var(--no-fg); border-color: var(--no-fg); }
#qr img { width: min(22rem, 80vw); height: auto; image-rendering: pixelated; border: 1px solid #000; }
#qr p { margin: .25rem 0; }
#link { font-size: .8rem; word-break: break-all; color: var(--muted); }
#verdict { border: 4px solid; border-radius: .6rem; padding: 1rem 1.25rem; margin: 1rem 0; }
#verdict.verified { background: var(--ok-bg); color: var(--ok-fg); border-color: var(--ok-fg); }
#verdict.rejected { background: var(--no-bg); color: var(--no-fg); border-color: var(--no-fg); }
#verdict-word { font-size: 3rem; font-weight: 800; margin: 0; letter-spacing: .05em; }
#verdict dl { margin: .5rem 0; }
#verdict dt { font-weight: 700; margin-top: .5rem; }
#verdict dd { margin: 0 0 0 1rem; }
#claims table { border-collapse: collapse; }
#claims td, #claims th { border: 1px solid currentColor; padding: .2rem .5rem; text-align: left; }
textarea { width: 100%; min-height: 6rem; font: 1rem/1.4 monospace; }
label { display: block; margin-top: 1rem; font-weight: 600; }
.code { font-family: monospace; font-size: 1rem; }
[hidden] { display: none !important; }
"""

_JS = """
"use strict";
const C = JSON.parse(document.getElementById("catalogue").textContent);
let lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
let state = null, poll = null, clearTimer = null, countdown = null, lastView = null, trust = null;
let clearLeft = null;
const $ = (id) => document.getElementById(id);
const t = (key, vars) => {
  let s = C.ui[lang][key] || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace("{" + k + "}", v);
  return s;
};
const words = (code) => {
  if (C.reasons[code]) return C.reasons[code][lang];
  for (const [p, v] of Object.entries(C.families)) if (code.startsWith(p)) return v[lang];
  return C.generic[lang];
};
const span = (seconds) => {
  const s = Math.abs(seconds);
  if (s >= 86400) return t("days", {n: Math.floor(s / 86400)});
  if (s >= 3600) return t("hours", {n: Math.floor(s / 3600)});
  return t("minutes", {n: Math.max(1, Math.floor(s / 60))});
};
async function api(method, path, body) {
  const r = await fetch(path, {method, body, credentials: "same-origin", cache: "no-store",
    headers: body === undefined ? {} : {"Content-Type": "text/plain;charset=utf-8"}});
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return {status: r.status, json};
}
function labels() {
  document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  showTrust();
  if (lastView) showVerdict(lastView);
  if (clearLeft !== null) $("clears").textContent = t("clears_in", {s: clearLeft});
}
function showTrust() {
  const info = $("bundle"), warn = $("warn"), refused = $("refused");
  warn.hidden = true; refused.hidden = true; info.textContent = "";
  if (!trust) return;
  if (trust.version !== undefined)
    info.textContent = t("bundle", {v: trust.version, age: span(trust.age_seconds), left: span(trust.left_seconds)});
  if (trust.refused) {
    refused.hidden = false;
    refused.textContent = t("bundle_refused", {why: words(trust.refused[0])}) + " (" + trust.refused[0] + ")";
  } else if (trust.near_expiry) {
    warn.hidden = false;
    warn.textContent = t("bundle_near_expiry", {left: span(trust.left_seconds)});
  }
}
async function loadTrust() {
  const r = await api("GET", "trust");
  if (r.status === 200) { trust = r.json; showTrust(); }
}
function reset() {
  clearInterval(poll); clearTimeout(clearTimer); clearInterval(countdown);
  poll = null; lastView = null; clearLeft = null;
  $("verdict").hidden = true; $("qr").hidden = true; $("paste").hidden = true;
  for (const id of ["message", "claims", "issuers", "reason", "reason-code", "verdict-word", "link"])
    $(id).textContent = "";
  $("paste-text").value = "";
}
async function endSession() {
  if (state) { const s = state; state = null; await api("DELETE", "sessions/" + encodeURIComponent(s)); }
}
async function newCheck() {
  reset(); await endSession();
  const r = await api("POST", "sessions");
  if (r.status !== 201) { $("message").textContent = t("error", {why: r.status}); return; }
  state = r.json.state;
  $("qr-img").src = "sessions/" + encodeURIComponent(state) + "/qr.svg";
  $("link").textContent = r.json.authorization_request;
  $("qr").hidden = false; $("paste").hidden = false;
  $("waiting").textContent = t("waiting");
  poll = setInterval(check, 300);
}
async function check() {
  if (!state) return;
  const r = await api("GET", "sessions/" + encodeURIComponent(state) + "/view");
  if (r.status === 404) { reset(); $("message").textContent = t("session_expired"); state = null; return; }
  if (r.status !== 200 || r.json.status === "pending") return;
  clearInterval(poll); poll = null;
  showVerdict(r.json);
  startClearing(r.json.display_seconds);
}
function showVerdict(view) {
  lastView = view;
  $("qr").hidden = true; $("paste").hidden = true;
  const box = $("verdict");
  const ok = view.status === "verified";
  box.className = ok ? "verified" : "rejected";
  $("verdict-word").textContent = (ok ? "\\u2714 " : "\\u2716 ") + t(ok ? "verified" : "rejected");
  $("reason").textContent = words(view.code);
  $("reason-code").textContent = t("code") + ": " + view.code;
  $("reason-row").hidden = ok;
  const issuers = $("issuers"); issuers.textContent = "";
  for (const i of view.issuers || []) {
    const li = document.createElement("li");
    const name = lang === "zh" ? (i.name_zh || i.name) : (i.name || i.name_zh);
    li.textContent = (name || t("unknown_issuer")) + " \\u2014 " + i.id;
    issuers.appendChild(li);
  }
  $("issuer-row").hidden = !(view.issuers || []).length;
  $("anchored").textContent = view.anchored ? t("anchored") : t("not_anchored");
  $("anchored").hidden = !ok;
  const claims = $("claims"); claims.textContent = "";
  for (const [qid, list] of Object.entries(view.claims || {}))
    for (const c of list) claims.appendChild(table(c));
  $("claims-row").hidden = !claims.childNodes.length;
  box.hidden = false;
  box.focus();
}
function table(value) {
  const tbl = document.createElement("table");
  const rows = (v, prefix) => {
    if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) rows(x, prefix ? prefix + "." + k : k);
      return;
    }
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = prefix || "";
    const td = document.createElement("td"); td.textContent = String(v);
    tr.append(th, td); tbl.appendChild(tr);
  };
  rows(value, "");
  return tbl;
}
function startClearing(seconds) {
  clearLeft = seconds;
  const show = () => { $("clears").textContent = t("clears_in", {s: clearLeft}); };
  show();
  countdown = setInterval(() => { clearLeft = Math.max(0, clearLeft - 1); show(); }, 1000);
  clearTimer = setTimeout(async () => { reset(); await endSession(); }, seconds * 1000);
}
async function submitPasted(text) {
  if (!state || !text.trim()) return;
  const r = await api("POST", "sessions/" + encodeURIComponent(state) + "/presentation", text);
  if (r.status !== 200) { $("message").textContent = t("error", {why: (r.json && r.json.error) || r.status}); return; }
  await check();
}
$("new").addEventListener("click", newCheck);
$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; labels(); });
$("paste-go").addEventListener("click", () => submitPasted($("paste-text").value));
$("file").addEventListener("change", async (e) => {
  const f = e.target.files[0]; if (f) await submitPasted(await f.text()); e.target.value = "";
});
labels(); loadTrust(); setInterval(loadTrust, 60000);
"""

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Credential check</title>
<style nonce="{nonce}">{css}</style></head>
<body>
<header><h1 data-t="title"></h1>
<div><span id="bundle"></span>
<button id="lang" class="secondary" type="button" data-t="language"></button></div></header>
<main>
<div id="refused" class="banner refused" role="alert" hidden></div>
<div id="warn" class="banner warn" role="status" hidden></div>
<p><button id="new" type="button" data-t="new_check"></button></p>
<p id="message" role="status"></p>
<section id="qr" hidden><p data-t="scan"></p>
<img id="qr-img" alt="QR code: OpenID4VP request">
<p id="waiting" role="status"></p><p id="link"></p></section>
<section id="paste" hidden>
<label for="paste-text" data-t="paste_label"></label>
<textarea id="paste-text" spellcheck="false" autocomplete="off"></textarea>
<p><button id="paste-go" type="button" data-t="paste_button"></button></p>
<label for="file" data-t="upload_label"></label>
<input id="file" type="file" accept=".json,.jwt,.txt,application/json,text/plain">
</section>
<section id="verdict" tabindex="-1" aria-live="assertive" hidden>
<p id="verdict-word"></p>
<dl>
<div id="reason-row"><dt data-t="reason"></dt><dd><span id="reason"></span>
<br><span id="reason-code" class="code"></span></dd></div>
<div id="issuer-row"><dt data-t="issuer"></dt><dd><ul id="issuers"></ul></dd></div>
<div id="claims-row"><dt data-t="claims"></dt><dd id="claims"></dd></div>
</dl>
<p id="anchored"></p>
<p id="clears" role="timer"></p>
</section>
</main>
<script type="application/json" id="catalogue">{catalogue}</script>
<script nonce="{nonce}">{js}</script>
</body></html>
"""


def render_page(catalogue: dict[str, Any], nonce: str) -> str:
    """The page, with the catalogue embedded and ``nonce`` on its inline style and script (CSP)."""
    text = json.dumps(catalogue, ensure_ascii=False).replace("<", "\\u003c")
    return (
        _HTML.replace("{css}", _CSS)
        .replace("{js}", _JS)
        .replace("{catalogue}", text)
        .replace("{nonce}", nonce)
    )
