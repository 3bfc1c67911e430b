/**
 * The viewer page, served as three assets: / (HTML), /app.js and /app.css. The script is its own
 * file so the Content-Security-Policy can say `script-src 'self'`: nothing inline runs, and the
 * script builds every piece of captured data into the page with textContent, never as HTML.
 *
 * (Kept as strings so the CLI bundle is one file; String.raw keeps backslashes as written. The
 * assets must not contain a backtick or a dollar sign followed by a brace.)
 */

export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Moesif local collector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo">moesif</span> <span class="sub">local collector</span></div>
  <nav class="tabs" id="tabs" role="tablist">
    <button role="tab" data-tab="events" class="tab active">Events <span class="count" id="count-events">0</span></button>
    <button role="tab" data-tab="users" class="tab">Users <span class="count" id="count-users">0</span></button>
    <button role="tab" data-tab="companies" class="tab">Companies <span class="count" id="count-companies">0</span></button>
    <button role="tab" data-tab="subscriptions" class="tab">Subscriptions <span class="count" id="count-subscriptions">0</span></button>
    <button role="tab" data-tab="actions" class="tab">Actions <span class="count" id="count-actions">0</span></button>
  </nav>
  <div class="live" id="live" title="Live updates"><span class="dot"></span><span id="live-text">connecting</span></div>
</header>
<section class="filters" id="filters-events">
  <select id="f-direction" aria-label="Direction">
    <option value="">Any direction</option>
    <option value="Incoming">Incoming</option>
    <option value="Outgoing">Outgoing</option>
  </select>
  <select id="f-verb" aria-label="Method">
    <option value="">Any method</option>
    <option>GET</option><option>POST</option><option>PUT</option><option>PATCH</option><option>DELETE</option><option>HEAD</option><option>OPTIONS</option>
  </select>
  <select id="f-status" aria-label="Status">
    <option value="">Any status</option>
    <option value="2xx">2xx</option>
    <option value="3xx">3xx</option>
    <option value="4xx">4xx</option>
    <option value="5xx">5xx</option>
    <option value="4xx,5xx">Errors (4xx, 5xx)</option>
  </select>
  <input id="f-q" type="search" placeholder="Path or URL contains…" aria-label="Path contains" autocomplete="off">
  <input id="f-user" type="search" placeholder="User" aria-label="User" autocomplete="off">
  <input id="f-company" type="search" placeholder="Company" aria-label="Company" autocomplete="off">
  <select id="f-range" aria-label="Time range">
    <option value="">Any time</option>
    <option value="5m">Last 5 minutes</option>
    <option value="1h">Last hour</option>
    <option value="24h">Last 24 hours</option>
    <option value="custom">Custom range…</option>
  </select>
  <span class="range" id="f-custom" hidden>
    <input id="f-from" type="datetime-local" step="1" aria-label="From">
    <span class="muted">to</span>
    <input id="f-to" type="datetime-local" step="1" aria-label="To">
  </span>
  <button id="f-clear" class="link" type="button">Clear</button>
  <span class="spacer"></span>
  <span class="muted" id="summary-events"></span>
</section>
<section class="filters" id="filters-entities" hidden>
  <input id="f-entity-q" type="search" placeholder="Search…" aria-label="Search" autocomplete="off">
  <span class="spacer"></span>
  <span class="muted" id="summary-entities"></span>
</section>
<main class="split">
  <div class="list" id="list">
    <table class="grid" id="grid">
      <thead id="grid-head"></thead>
      <tbody id="grid-body"></tbody>
    </table>
    <div class="empty" id="empty" hidden></div>
    <div class="more"><button id="more" type="button" hidden>Load older</button></div>
  </div>
  <aside class="detail" id="detail">
    <div class="placeholder">Select a row to see its detail.</div>
  </aside>
</main>
<footer class="foot"><span id="foot-dir"></span></footer>
<script src="/app.js"></script>
</body>
</html>
`;

export const APP_CSS = String.raw`:root {
  --bg: #f7f8fa; --panel: #ffffff; --text: #1d2330; --muted: #6b7385; --line: #e3e6ec;
  --accent: #2563eb; --accent-soft: #e8efff; --sel: #eef3ff; --code: #f3f5f8;
  --ok: #15803d; --redir: #0e7490; --warn: #b45309; --err: #b91c1c; --new: #fff7d6;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171c; --panel: #1b1f26; --text: #e3e6ec; --muted: #8d95a5; --line: #2b313b;
    --accent: #6ea0ff; --accent-soft: #1f2b45; --sel: #222c40; --code: #12151a;
    --ok: #4ade80; --redir: #22d3ee; --warn: #fbbf24; --err: #f87171; --new: #3a3420;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { height: 100%; }
body { margin: 0; display: flex; flex-direction: column; background: var(--bg); color: var(--text);
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
button, input, select { font: inherit; color: inherit; }
.top { display: flex; align-items: center; gap: 18px; padding: 8px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
.brand .logo { font-weight: 700; letter-spacing: .2px; color: var(--accent); font-size: 15px; }
.brand .sub { color: var(--muted); }
.tabs { display: flex; gap: 2px; flex: 1; }
.tab { background: none; border: 0; border-bottom: 2px solid transparent; padding: 6px 10px; cursor: pointer; color: var(--muted); }
.tab:hover { color: var(--text); }
.tab.active { color: var(--text); border-bottom-color: var(--accent); font-weight: 600; }
.count { display: inline-block; min-width: 18px; padding: 0 6px; border-radius: 9px; background: var(--code); color: var(--muted); font-size: 11px; text-align: center; font-weight: 500; }
.tab.active .count { background: var(--accent-soft); color: var(--accent); }
.live { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.live.on .dot { background: var(--ok); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent); }
.live.off .dot { background: var(--err); }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 8px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
.filters input, .filters select { height: 28px; padding: 0 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
.filters input[type=search] { width: 150px; }
.filters #f-q { width: 220px; }
.filters input:focus, .filters select:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
.filters .range { display: inline-flex; gap: 6px; align-items: center; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
button.link { background: none; border: 0; color: var(--accent); cursor: pointer; padding: 0 4px; }
.split { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) minmax(360px, 44%); min-height: 0; }
.list { overflow: auto; border-right: 1px solid var(--line); background: var(--panel); }
.grid { width: 100%; border-collapse: collapse; table-layout: fixed; }
.grid th { position: sticky; top: 0; z-index: 1; background: var(--panel); text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .4px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
.grid td { padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.grid tbody tr { cursor: pointer; }
.grid tbody tr:hover { background: var(--bg); }
.grid tbody tr.selected { background: var(--sel); box-shadow: inset 3px 0 0 var(--accent); }
.grid tbody tr.new { animation: flash 2s ease-out; }
@keyframes flash { from { background: var(--new); } to { background: transparent; } }
.grid .c-time { width: 104px; } .grid .c-dir { width: 46px; } .grid .c-verb { width: 70px; }
.grid .c-status { width: 60px; } .grid .c-dur { width: 84px; text-align: right; }
.grid .c-user { width: 120px; } .grid .c-company { width: 110px; } .grid .c-id { width: 200px; }
.grid .c-when { width: 150px; } .grid .c-n { width: 76px; text-align: right; }
.grid td.c-time { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.grid td.c-verb { font-weight: 600; font-family: var(--mono); font-size: 12px; }
.grid td.c-status { font-family: var(--mono); font-weight: 600; }
.grid td.c-dur { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.grid td.c-uri { font-family: var(--mono); font-size: 12px; }
.grid td.c-uri .host { color: var(--muted); }
.grid td.c-id { font-family: var(--mono); font-size: 12px; }
.grid td.c-user, .grid td.c-company, .grid td.c-when, .grid td.c-n { color: var(--muted); }
@media (max-width: 1250px) { .grid .c-company { display: none; } .split { grid-template-columns: minmax(0, 1fr) minmax(320px, 40%); } }
@media (max-width: 1000px) { .grid .c-user, .grid .c-dir { display: none; } .filters input[type=search], .filters #f-q { width: 140px; } }
.s2 { color: var(--ok); } .s3 { color: var(--redir); } .s4 { color: var(--warn); } .s5 { color: var(--err); } .s0 { color: var(--muted); }
.dir { display: inline-block; font-size: 10px; font-weight: 700; padding: 1px 5px; border-radius: 4px; background: var(--code); color: var(--muted); letter-spacing: .3px; }
.dir.out { background: var(--accent-soft); color: var(--accent); }
.empty { padding: 40px 24px; color: var(--muted); text-align: center; }
.empty code { font-family: var(--mono); background: var(--code); padding: 2px 6px; border-radius: 4px; color: var(--text); user-select: all; }
.more { text-align: center; padding: 10px; }
.more button { border: 1px solid var(--line); background: var(--bg); border-radius: 6px; padding: 4px 14px; cursor: pointer; }
.detail { overflow: auto; padding: 14px 18px 40px; }
.placeholder { color: var(--muted); padding: 40px 0; text-align: center; }
.d-title { font-family: var(--mono); font-size: 13px; word-break: break-all; margin: 0 0 4px; display: flex; gap: 8px; align-items: baseline; }
.d-title .verb { font-weight: 700; flex: none; }
.d-title > span:last-child { min-width: 0; }
.d-sub { color: var(--muted); margin-bottom: 10px; display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
.badge { font-family: var(--mono); font-weight: 700; padding: 1px 7px; border-radius: 10px; background: var(--code); }
.actions-row { display: flex; gap: 6px; margin: 6px 0 12px; }
.actions-row button { border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: 3px 10px; cursor: pointer; font-size: 12px; }
.actions-row button:hover { border-color: var(--accent); color: var(--accent); }
h3 { font-size: 11px; text-transform: uppercase; letter-spacing: .5px; color: var(--muted); margin: 18px 0 6px; display: flex; gap: 8px; align-items: baseline; }
h3 .note { text-transform: none; letter-spacing: 0; font-weight: 400; }
.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 14px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-family: var(--mono); font-size: 12px; word-break: break-all; }
.headers { width: 100%; border-collapse: collapse; font-family: var(--mono); font-size: 12px; }
.headers td { padding: 2px 0; vertical-align: top; border-bottom: 1px dashed var(--line); word-break: break-all; }
.headers td:first-child { color: var(--muted); width: 34%; padding-right: 10px; }
pre.body { margin: 0; padding: 10px 12px; background: var(--code); border: 1px solid var(--line); border-radius: 6px; font: 12px/1.5 var(--mono); white-space: pre-wrap; word-break: break-word; max-height: 480px; overflow: auto; }
.none { color: var(--muted); font-style: italic; }
details.raw summary { cursor: pointer; color: var(--muted); margin-top: 18px; }
.foot { padding: 4px 16px; font-size: 11px; color: var(--muted); border-top: 1px solid var(--line); background: var(--panel); }
.error { color: var(--err); }
`;

export const APP_JS = String.raw`// The local collector's viewer. Everything captured is hostile input: it reaches the page only as
// text (textContent, attribute values through setAttribute), never as HTML.
(function () {
  'use strict';

  var ENTITY_TABS = { users: 'user_id', companies: 'company_id', subscriptions: 'subscription_id' };
  var PAGE = 100;

  var state = {
    tab: 'events',
    rows: [],          // summaries shown, newest first
    topId: 0,          // newest id shown (for live "after=" fetches)
    nextBefore: null,
    selected: null,
    counts: {},
    loading: 0,
    refreshTimer: null,
    entityQ: ''
  };

  function $(id) { return document.getElementById(id); }

  // el('td', { className: 'x', title: 't' }, 'text' | Node | [..])
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === undefined || attrs[k] === null) continue;
        if (k === 'className') node.className = attrs[k];
        else if (k === 'text') node.textContent = String(attrs[k]);
        else if (k === 'onclick') node.addEventListener('click', attrs[k]);
        else node.setAttribute(k, String(attrs[k]));
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children === undefined || children === null) return;
    if (!Array.isArray(children)) children = [children];
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function getJSON(path) {
    state.loading++;
    return fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
        return body;
      });
    }).finally(function () { state.loading--; });
  }

  // ---------- formatting ----------
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '');
    var today = new Date();
    var sameDay = d.toDateString() === today.toDateString();
    return (sameDay ? '' : d.toLocaleDateString() + ' ') + clock(iso);
  }
  function statusClass(s) { return typeof s === 'number' ? 's' + Math.min(5, Math.max(0, Math.floor(s / 100))) : 's0'; }
  function duration(ms) {
    if (typeof ms !== 'number') return '';
    if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
    return ms + ' ms';
  }
  // Splits an absolute URI as sent (not re-encoded) into its origin and the rest.
  function splitUri(uri) {
    if (typeof uri !== 'string') return { origin: '', rest: '' };
    var m = /^[a-z][a-z0-9+.-]*:\/\/[^\/?#]*/i.exec(uri);
    if (!m) return { origin: '', rest: uri };
    return { origin: m[0], rest: uri.slice(m[0].length) || '/' };
  }
  function compact(v, max) {
    var s;
    try { s = JSON.stringify(v); } catch (e) { s = String(v); }
    if (s === undefined) return '';
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  // ---------- filters & URL hash ----------
  var FILTER_IDS = { direction: 'f-direction', verb: 'f-verb', status: 'f-status', q: 'f-q', user: 'f-user', company: 'f-company', range: 'f-range', from: 'f-from', to: 'f-to' };

  function readFilters() {
    var f = {};
    for (var k in FILTER_IDS) { var v = $(FILTER_IDS[k]).value.trim(); if (v) f[k] = v; }
    if (f.range !== 'custom') { delete f.from; delete f.to; }
    return f;
  }

  function writeFilters(f) {
    for (var k in FILTER_IDS) $(FILTER_IDS[k]).value = f[k] || '';
    $('f-custom').hidden = $('f-range').value !== 'custom';
  }

  function eventQuery(f) {
    var p = new URLSearchParams();
    ['direction', 'verb', 'status', 'q', 'user', 'company'].forEach(function (k) { if (f[k]) p.set(k, f[k]); });
    var span = { '5m': 5 * 60e3, '1h': 3600e3, '24h': 86400e3 }[f.range];
    if (span) p.set('from', new Date(Date.now() - span).toISOString());
    if (f.range === 'custom') {
      if (f.from) { var a = new Date(f.from); if (!isNaN(a)) p.set('from', a.toISOString()); }
      if (f.to) { var b = new Date(f.to); if (!isNaN(b)) p.set('to', b.toISOString()); }
    }
    return p;
  }

  function saveHash() {
    var p = new URLSearchParams();
    if (state.tab !== 'events') p.set('tab', state.tab);
    var f = readFilters();
    for (var k in f) p.set(k, f[k]);
    if (state.entityQ) p.set('eq', state.entityQ);
    var h = p.toString();
    history.replaceState(null, '', h ? '#' + h : location.pathname);
  }

  function loadHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    var f = {};
    for (var k in FILTER_IDS) if (p.get(k)) f[k] = p.get(k);
    writeFilters(f);
    state.entityQ = p.get('eq') || '';
    $('f-entity-q').value = state.entityQ;
    var tab = p.get('tab');
    state.tab = tab && (tab === 'actions' || ENTITY_TABS[tab]) ? tab : 'events';
  }

  // ---------- tabs ----------
  function setTab(tab) {
    state.tab = tab;
    var tabs = document.querySelectorAll('.tab');
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute('data-tab') === tab;
      tabs[i].classList.toggle('active', on);
      tabs[i].setAttribute('aria-selected', on ? 'true' : 'false');
    }
    $('filters-events').hidden = tab !== 'events';
    $('filters-entities').hidden = tab === 'events';
    $('f-entity-q').placeholder = tab === 'actions' ? 'Action name or URL…' : 'Search ' + tab + '…';
    state.selected = null;
    showPlaceholder();
    saveHash();
    reload();
  }

  function showPlaceholder() {
    var d = $('detail');
    clear(d);
    d.appendChild(el('div', { className: 'placeholder' }, 'Select a row to see its detail.'));
  }

  function setCounts(c) {
    if (!c) return;
    state.counts = c;
    ['events', 'users', 'companies', 'subscriptions', 'actions'].forEach(function (k) {
      if (typeof c[k] === 'number') $('count-' + k).textContent = c[k].toLocaleString();
    });
  }

  // ---------- lists ----------
  var COLUMNS = {
    events: [['c-time', 'Time'], ['c-dir', 'Dir'], ['c-verb', 'Method'], ['c-status', 'Status'], ['c-dur', 'Duration'], ['c-uri', 'URL'], ['c-user', 'User'], ['c-company', 'Company']],
    actions: [['c-time', 'Time'], ['c-id', 'Action'], ['c-uri', 'URL'], ['c-user', 'User'], ['c-company', 'Company']],
    users: [['c-id', 'User'], ['c-company', 'Company'], ['c-uri', 'Metadata'], ['c-when', 'Last update'], ['c-n', 'Updates']],
    companies: [['c-id', 'Company'], ['c-uri', 'Metadata'], ['c-when', 'Last update'], ['c-n', 'Updates']],
    subscriptions: [['c-id', 'Subscription'], ['c-company', 'Company'], ['c-user', 'Status'], ['c-uri', 'Metadata'], ['c-when', 'Last update']]
  };

  function renderHead() {
    var head = $('grid-head');
    clear(head);
    var tr = el('tr');
    COLUMNS[state.tab].forEach(function (c) { tr.appendChild(el('th', { className: c[0] }, c[1])); });
    head.appendChild(tr);
  }

  function eventRow(s) {
    var out = typeof s.direction === 'string' && s.direction.toLowerCase() === 'outgoing';
    return el('tr', { 'data-id': s.id, 'data-kind': 'events' }, [
      el('td', { className: 'c-time', title: s.time }, clock(s.time)),
      el('td', { className: 'c-dir' }, el('span', { className: 'dir' + (out ? ' out' : ''), title: s.direction || '' }, out ? 'OUT' : s.direction ? 'IN' : '?')),
      el('td', { className: 'c-verb' }, s.verb || '?'),
      el('td', { className: 'c-status ' + statusClass(s.status) }, s.status === undefined ? '—' : String(s.status)),
      el('td', { className: 'c-dur' }, duration(s.duration_ms)),
      el('td', { className: 'c-uri', title: s.uri || '' }, uriCell(s.uri, out)),
      el('td', { className: 'c-user', title: s.user_id || '' }, s.user_id || ''),
      el('td', { className: 'c-company', title: s.company_id || '' }, s.company_id || '')
    ]);
  }

  // Outgoing calls go to many hosts: show the host. Incoming ones share the app's: the path is enough.
  function uriCell(uri, withHost) {
    var u = splitUri(uri);
    if (!withHost || !u.origin) return u.rest;
    return [el('span', { className: 'host' }, u.origin.replace(/^https?:\/\//i, '')), u.rest];
  }

  function actionRow(s) {
    return el('tr', { 'data-id': s.id, 'data-kind': 'actions' }, [
      el('td', { className: 'c-time', title: s.time }, clock(s.time)),
      el('td', { className: 'c-id', title: s.action_name || '' }, s.action_name || ''),
      el('td', { className: 'c-uri', title: s.uri || '' }, s.uri || ''),
      el('td', { className: 'c-user' }, s.user_id || ''),
      el('td', { className: 'c-company' }, s.company_id || '')
    ]);
  }

  function entityRow(e) {
    var d = e.data || {};
    var meta = compact(d.metadata === undefined ? {} : d.metadata, 200);
    var cells = [el('td', { className: 'c-id', title: e.id }, e.id)];
    if (state.tab === 'users') cells.push(el('td', { className: 'c-company' }, d.company_id === undefined ? '' : String(d.company_id)));
    if (state.tab === 'subscriptions') {
      cells.push(el('td', { className: 'c-company' }, d.company_id === undefined ? '' : String(d.company_id)));
      cells.push(el('td', { className: 'c-user' }, d.status === undefined ? '' : String(d.status)));
    }
    cells.push(el('td', { className: 'c-uri', title: meta }, meta));
    cells.push(el('td', { className: 'c-when', title: e.last_seen }, when(e.last_seen)));
    if (state.tab !== 'subscriptions') cells.push(el('td', { className: 'c-n' }, String(e.updates)));
    return el('tr', { 'data-id': e.id, 'data-kind': state.tab }, cells);
  }

  function rowFor(item) {
    if (state.tab === 'events') return eventRow(item);
    if (state.tab === 'actions') return actionRow(item);
    return entityRow(item);
  }

  function listPath(extra) {
    var p;
    if (state.tab === 'events') p = eventQuery(readFilters());
    else { p = new URLSearchParams(); if (state.entityQ) p.set('q', state.entityQ); }
    if (state.tab === 'events' || state.tab === 'actions') p.set('limit', String(PAGE));
    for (var k in extra || {}) p.set(k, extra[k]);
    return '/api/' + state.tab + '?' + p.toString();
  }

  var generation = 0;

  function reload() {
    var gen = ++generation;
    var tab = state.tab;
    renderHead();
    return getJSON(listPath()).then(function (r) {
      if (gen !== generation) return;
      var items = tab === 'events' ? r.events : r.items;
      state.rows = items;
      state.topId = items.length && typeof items[0].id === 'number' ? items[0].id : (r.last_id || 0);
      if (tab === 'events' && typeof r.last_id === 'number') state.topId = Math.max(state.topId, r.last_id);
      if (tab === 'actions' && typeof r.last_id === 'number') state.topId = Math.max(state.topId, r.last_id);
      state.nextBefore = r.next_before === undefined ? null : r.next_before;
      var body = $('grid-body');
      clear(body);
      items.forEach(function (it) { body.appendChild(rowFor(it)); });
      markSelected();
      updateSummary(r);
      updateEmpty();
      $('more').hidden = state.nextBefore === null;
    }).catch(showListError);
  }

  function loadOlder() {
    if (state.nextBefore === null) return;
    var gen = generation;
    getJSON(listPath({ before: String(state.nextBefore) })).then(function (r) {
      if (gen !== generation) return;
      var items = state.tab === 'events' ? r.events : r.items;
      var body = $('grid-body');
      items.forEach(function (it) { state.rows.push(it); body.appendChild(rowFor(it)); });
      state.nextBefore = r.next_before;
      $('more').hidden = state.nextBefore === null;
      updateSummary(r);
    }).catch(showListError);
  }

  // Newer rows that match the filters, put on top (live updates).
  function fetchNewer() {
    if (state.tab !== 'events' && state.tab !== 'actions') return reload();
    var gen = generation;
    return getJSON(listPath({ after: String(state.topId) })).then(function (r) {
      if (gen !== generation) return;
      var items = state.tab === 'events' ? r.events : r.items;
      if (r.next_before !== null && r.next_before !== undefined) return reload(); // a gap: start over
      var body = $('grid-body');
      for (var i = items.length - 1; i >= 0; i--) {
        var row = rowFor(items[i]);
        row.classList.add('new');
        body.insertBefore(row, body.firstChild);
        state.rows.unshift(items[i]);
      }
      if (typeof r.last_id === 'number') state.topId = Math.max(state.topId, r.last_id);
      updateSummary(r);
      updateEmpty();
    }).catch(showListError);
  }

  function scheduleRefresh(kind) {
    if (kind !== state.tab) return;
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(function () { state.refreshTimer = null; fetchNewer(); }, 150);
  }

  function updateSummary(r) {
    if (state.tab === 'events') {
      var shown = $('grid-body').children.length;
      $('summary-events').textContent = r.total === r.stored
        ? r.stored.toLocaleString() + ' events' + (shown < r.total ? ', ' + shown.toLocaleString() + ' shown' : '')
        : r.total.toLocaleString() + ' of ' + r.stored.toLocaleString() + ' events match';
    } else {
      var n = typeof r.total === 'number' ? r.total : $('grid-body').children.length;
      $('summary-entities').textContent = n.toLocaleString() + ' ' + state.tab + (state.entityQ ? ' match' : '');
    }
  }

  function updateEmpty() {
    var empty = $('empty');
    var has = $('grid-body').children.length > 0;
    empty.hidden = has;
    if (has) return;
    clear(empty);
    var filtered = state.tab === 'events' ? Object.keys(readFilters()).length > 0 : !!state.entityQ;
    if (filtered) { empty.appendChild(el('div', null, 'Nothing matches these filters.')); return; }
    if (state.tab === 'events') {
      empty.appendChild(el('div', null, 'No events yet. Point an agent at this collector:'));
      empty.appendChild(el('p', null, el('code', null, 'MOESIF_BASE_URI=' + location.origin + ' node --import moesif/register app.js')));
      empty.appendChild(el('div', null, 'New events show up here as they arrive.'));
    } else {
      empty.appendChild(el('div', null, 'No ' + state.tab + ' yet.'));
    }
  }

  function showListError(err) {
    var empty = $('empty');
    empty.hidden = false;
    clear(empty);
    empty.appendChild(el('div', { className: 'error' }, String(err && err.message ? err.message : err)));
  }

  function markSelected() {
    var rows = $('grid-body').children;
    for (var i = 0; i < rows.length; i++) rows[i].classList.toggle('selected', rows[i].getAttribute('data-id') === String(state.selected));
  }

  // ---------- detail ----------
  function section(title, note, content) {
    return [el('h3', null, [title, note ? el('span', { className: 'note' }, note) : null]), content];
  }

  function kv(pairs) {
    var dl = el('dl', { className: 'kv' });
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === '') return;
      dl.appendChild(el('dt', null, p[0]));
      dl.appendChild(el('dd', null, typeof p[1] === 'object' ? compact(p[1], 400) : String(p[1])));
    });
    return dl;
  }

  function headersTable(h) {
    if (!h || typeof h !== 'object' || Object.keys(h).length === 0) return el('div', { className: 'none' }, 'no headers');
    var t = el('table', { className: 'headers' });
    Object.keys(h).forEach(function (k) {
      var v = h[k];
      t.appendChild(el('tr', null, [el('td', null, k), el('td', null, typeof v === 'string' ? v : compact(v, 2000))]));
    });
    return t;
  }

  function base64Bytes(s) {
    var bin = atob(s.replace(/\s+/g, ''));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function looksLikeText(t) {
    // Text: no control characters other than tab, newline, carriage return, form feed.
    return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(t);
  }

  function hexPreview(bytes, max) {
    var lines = [];
    var n = Math.min(bytes.length, max);
    for (var off = 0; off < n; off += 16) {
      var hex = [], ascii = '';
      for (var i = off; i < off + 16; i++) {
        if (i < n) {
          hex.push(pad(bytes[i].toString(16), 2));
          ascii += bytes[i] >= 32 && bytes[i] < 127 ? String.fromCharCode(bytes[i]) : '.';
        } else hex.push('  ');
      }
      lines.push(pad(off.toString(16), 8) + '  ' + hex.slice(0, 8).join(' ') + '  ' + hex.slice(8).join(' ') + '  ' + ascii);
    }
    if (bytes.length > n) lines.push('… ' + (bytes.length - n).toLocaleString() + ' more bytes');
    return lines.join('\n');
  }

  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  // Returns { note, text } for a captured body.
  function bodyView(body, encoding) {
    if (body === undefined || body === null) return null;
    if (encoding === 'base64' && typeof body === 'string') {
      var bytes;
      try { bytes = base64Bytes(body); } catch (e) { return { note: 'invalid base64, shown as sent', text: body }; }
      if (bytes.length === 0) return { note: 'empty', text: '' };
      var text = null;
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { text = null; }
      if (text !== null && looksLikeText(text)) return { note: 'base64, decoded as UTF-8 text · ' + bytes.length.toLocaleString() + ' bytes', text: pretty(text) };
      return { note: 'binary · ' + bytes.length.toLocaleString() + ' bytes · hex preview', text: hexPreview(bytes, 512) };
    }
    if (typeof body === 'string') return { note: encoding ? encoding + ' · string' : 'string', text: body };
    return { note: 'JSON', text: JSON.stringify(body, null, 2) };
  }

  function bodyBlock(body, encoding) {
    var v = bodyView(body, encoding);
    if (!v) return section('Body', null, el('div', { className: 'none' }, 'no body'));
    return section('Body', v.note, el('pre', { className: 'body' }, v.text));
  }

  function shellQuote(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }

  function curlOf(ev) {
    var req = ev.request || {};
    var parts = ['curl', '-X', req.verb || 'GET', shellQuote(req.uri || '')];
    var h = req.headers || {};
    Object.keys(h).forEach(function (k) {
      if (/^(host|content-length|connection)$/i.test(k)) return;
      parts.push('-H', shellQuote(k + ': ' + h[k]));
    });
    if (req.body !== undefined && req.body !== null) {
      var data = req.transfer_encoding === 'base64' && typeof req.body === 'string' ? (function () {
        try { return new TextDecoder('utf-8', { fatal: true }).decode(base64Bytes(req.body)); } catch (e) { return null; }
      })() : (typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
      if (data !== null) parts.push('--data-binary', shellQuote(data));
    }
    return parts.join(' ');
  }

  function copyButton(label, getText) {
    var b = el('button', { type: 'button' }, label);
    b.addEventListener('click', function () {
      var done = function () { b.textContent = 'Copied'; setTimeout(function () { b.textContent = label; }, 1200); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(getText()).then(done, function () { b.textContent = 'Copy failed'; });
    });
    return b;
  }

  function renderEvent(r) {
    var ev = r.event && typeof r.event === 'object' ? r.event : {};
    var req = ev.request && typeof ev.request === 'object' ? ev.request : {};
    var res = ev.response && typeof ev.response === 'object' ? ev.response : null;
    var s = r.summary || {};
    var d = $('detail');
    clear(d);
    d.appendChild(el('div', { className: 'd-title' }, [el('span', { className: 'verb' }, s.verb || '?'), el('span', null, s.uri || '')]));
    d.appendChild(el('div', { className: 'd-sub' }, [
      el('span', { className: 'badge ' + statusClass(s.status) }, s.status === undefined ? 'no response' : String(s.status)),
      s.duration_ms !== undefined ? el('span', null, duration(s.duration_ms)) : null,
      el('span', null, s.direction || ''),
      el('span', { title: s.time }, when(s.time))
    ]));
    d.appendChild(el('div', { className: 'actions-row' }, [
      copyButton('Copy JSON', function () { return JSON.stringify(ev, null, 2); }),
      copyButton('Copy as curl', function () { return curlOf(ev); })
    ]));
    var reqHeaders = req.headers && typeof req.headers === 'object' ? req.headers : {};
    var txn = reqHeaders['x-moesif-transaction-id'] || (res && res.headers && res.headers['x-moesif-transaction-id']);
    append(d, section('Overview', null, kv([
      ['Event', '#' + r.id],
      ['Request time', req.time], ['Response time', res && res.time],
      ['User', ev.user_id], ['Company', ev.company_id], ['Session', ev.session_token],
      ['IP address', req.ip_address], ['API version', req.api_version],
      ['Transaction', txn], ['Weight', ev.weight], ['Blocked by', ev.blocked_by],
      ['Application id', r.app_id], ['Received', r.received_at]
    ])));
    if (ev.metadata !== undefined && ev.metadata !== null) append(d, section('Metadata', null, el('pre', { className: 'body' }, JSON.stringify(ev.metadata, null, 2))));
    append(d, section('Request headers', null, headersTable(req.headers)));
    append(d, bodyBlock(req.body, req.transfer_encoding));
    if (res) {
      append(d, section('Response headers', null, headersTable(res.headers)));
      append(d, bodyBlock(res.body, res.transfer_encoding));
    } else {
      append(d, section('Response', null, el('div', { className: 'none' }, 'no response in this event')));
    }
    d.appendChild(el('details', { className: 'raw' }, [el('summary', null, 'Raw event as received'), el('pre', { className: 'body' }, JSON.stringify(ev, null, 2))]));
  }

  function renderAction(r) {
    var a = r.action && typeof r.action === 'object' ? r.action : {};
    var s = r.summary || {};
    var d = $('detail');
    clear(d);
    d.appendChild(el('div', { className: 'd-title' }, [el('span', { className: 'verb' }, s.action_name || '?')]));
    d.appendChild(el('div', { className: 'd-sub' }, [el('span', null, s.uri || ''), el('span', { title: s.time }, when(s.time))]));
    append(d, section('Overview', null, kv([
      ['Action', '#' + r.id], ['User', a.user_id], ['Company', a.company_id], ['Session', a.session_token],
      ['Transaction', a.transaction_id], ['Application id', r.app_id], ['Received', r.received_at]
    ])));
    if (a.request) append(d, section('Request', null, el('pre', { className: 'body' }, JSON.stringify(a.request, null, 2))));
    if (a.metadata !== undefined) append(d, section('Metadata', null, el('pre', { className: 'body' }, JSON.stringify(a.metadata, null, 2))));
    d.appendChild(el('details', { className: 'raw' }, [el('summary', null, 'Raw action as received'), el('pre', { className: 'body' }, JSON.stringify(a, null, 2))]));
  }

  function renderEntity(kind, e) {
    var d = $('detail');
    clear(d);
    var data = e.data || {};
    d.appendChild(el('div', { className: 'd-title' }, [el('span', { className: 'verb' }, kind === 'users' ? 'User' : kind === 'companies' ? 'Company' : 'Subscription'), el('span', null, e.id)]));
    d.appendChild(el('div', { className: 'd-sub' }, [el('span', null, e.updates + (e.updates === 1 ? ' update' : ' updates')), el('span', { title: e.last_seen }, 'last ' + when(e.last_seen))]));
    var links = [];
    if (kind === 'users') links.push(el('button', { type: 'button', onclick: function () { showEventsFor({ user: e.id }); } }, 'Events of this user'));
    var company = kind === 'companies' ? e.id : data.company_id;
    if (company !== undefined && company !== null) links.push(el('button', { type: 'button', onclick: function () { showEventsFor({ company: String(company) }); } }, 'Events of this company'));
    if (links.length) d.appendChild(el('div', { className: 'actions-row' }, links));
    append(d, section('Overview', null, kv([['First seen', e.first_seen], ['Last update', e.last_seen]])));
    if (data.metadata !== undefined) append(d, section('Metadata', null, el('pre', { className: 'body' }, JSON.stringify(data.metadata, null, 2))));
    append(d, section('Merged record', 'latest value of each field', el('pre', { className: 'body' }, JSON.stringify(data, null, 2))));
  }

  function showEventsFor(f) {
    writeFilters(f);
    setTab('events');
  }

  function select(kind, id) {
    state.selected = id;
    markSelected();
    var path = '/api/' + kind + '/' + encodeURIComponent(id);
    getJSON(path).then(function (r) {
      if (state.selected !== id) return;
      if (kind === 'events') renderEvent(r);
      else if (kind === 'actions') renderAction(r);
      else renderEntity(kind, r);
    }).catch(function (err) {
      var d = $('detail');
      clear(d);
      d.appendChild(el('div', { className: 'placeholder error' }, String(err.message || err)));
    });
  }

  // ---------- live updates ----------
  function connect() {
    if (!window.EventSource) { setInterval(function () { fetchNewer(); }, 2000); return; }
    var es = new EventSource('/api/stream');
    var live = $('live');
    es.addEventListener('open', function () {
      live.className = 'live on';
      $('live-text').textContent = 'live';
    });
    es.addEventListener('hello', function (m) {
      var data = JSON.parse(m.data);
      setCounts(data.counts);
      if (state.wasDown) { state.wasDown = false; fetchNewer(); }
    });
    es.addEventListener('change', function (m) {
      var data = JSON.parse(m.data);
      setCounts(data.counts);
      scheduleRefresh(data.kind);
    });
    es.addEventListener('error', function () {
      live.className = 'live off';
      $('live-text').textContent = 'reconnecting';
      state.wasDown = true;
    });
  }

  // ---------- wiring ----------
  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  function init() {
    loadHash();
    var onFilter = debounce(function () { saveHash(); reload(); }, 200);
    for (var k in FILTER_IDS) {
      $(FILTER_IDS[k]).addEventListener('input', onFilter);
      $(FILTER_IDS[k]).addEventListener('change', onFilter);
    }
    $('f-range').addEventListener('change', function () { $('f-custom').hidden = $('f-range').value !== 'custom'; });
    $('f-clear').addEventListener('click', function () { writeFilters({}); saveHash(); reload(); });
    $('f-entity-q').addEventListener('input', debounce(function () { state.entityQ = $('f-entity-q').value.trim(); saveHash(); reload(); }, 200));
    $('more').addEventListener('click', loadOlder);
    $('tabs').addEventListener('click', function (e) {
      var t = e.target.closest('.tab');
      if (t) setTab(t.getAttribute('data-tab'));
    });
    $('grid-body').addEventListener('click', function (e) {
      var tr = e.target.closest('tr');
      if (!tr) return;
      var kind = tr.getAttribute('data-kind');
      var id = tr.getAttribute('data-id');
      select(kind, kind === 'events' || kind === 'actions' ? Number(id) : id);
    });
    document.addEventListener('keydown', function (e) {
      if (e.target && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
      if (e.key !== 'j' && e.key !== 'k' && e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      var rows = $('grid-body').children;
      if (!rows.length) return;
      var idx = -1;
      for (var i = 0; i < rows.length; i++) if (rows[i].classList.contains('selected')) idx = i;
      idx = e.key === 'j' || e.key === 'ArrowDown' ? Math.min(rows.length - 1, idx + 1) : Math.max(0, idx - 1);
      rows[idx].click();
      rows[idx].scrollIntoView({ block: 'nearest' });
      e.preventDefault();
    });
    getJSON('/api/stats').then(function (s) {
      setCounts(s.counts);
      $('foot-dir').textContent = 'moesif ' + s.version + ' · data ' + s.data_dir + ' · keeps the newest ' + s.retention.toLocaleString() + ' events';
    }).catch(function () {});
    setTab(state.tab);
    connect();
  }

  init();
})();
`;
