// otelbpf's web UI: plain JavaScript, no framework, nothing fetched from elsewhere. Every view
// reads the agent's JSON API (/api/...), which reads the store exactly as the `otelbpf observe`,
// `stats`, `map`, `trace` and `events` commands do. Captured data (paths, names, addresses) is
// whatever the traffic carried, so it only ever reaches the page as text nodes, never as HTML.
'use strict';

const views = ['overview', 'spans', 'trace', 'dns', 'tcp'];
const $ = (sel) => document.querySelector(sel);

// el('td', {class: 'num'}, 'text', child, ...): an element with attributes and children.
function el(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'path', 'rect', 'text', 'defs', 'marker', 'title'].includes(tag);
  const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'style') node.style.cssText = v;  // CSSOM: the page's CSP forbids style attributes
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function fmtDur(ns) {
  if (ns === undefined || ns === null) return '';
  if (ns < 1e6) return Math.round(ns / 1e3) + 'µs';
  if (ns < 1e9) return (ns / 1e6).toFixed(1) + 'ms';
  return (ns / 1e9).toFixed(2) + 's';
}
function fmtTime(ns) {
  const d = new Date(ns / 1e6);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
function fmtCount(n) { return Number.isInteger(n) ? String(n) : '≈' + Math.round(n); }
function fmtRate(r) { return r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3); }
function fmtPct(p) { return p === 0 ? '0%' : p.toFixed(1) + '%'; }
function endpoint(addr, port) {
  if (!addr) return '';
  return (addr.includes(':') ? `[${addr}]` : addr) + (port ? ':' + port : '');
}
function windowValue() { return $('#window').value; }

function showError(message) {
  const box = $('#error');
  box.textContent = message;
  box.hidden = !message;
}

// GET /api/...; an answer that is not 200 becomes an Error carrying the API's message.
async function api(path, params) {
  const query = params ? '?' + params.map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&') : '';
  const res = await fetch('/api/' + path + query, {headers: {Accept: 'application/json'}});
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
  return body;
}

function fill(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', {class: 'empty'}, el('td', {colspan: columns, class: 'muted'}, emptyText))]));
}

function traceLink(id) {
  return el('a', {href: '#trace/' + id, onclick: (e) => e.stopPropagation()}, id.slice(0, 12));
}

// --- overview: service map and RED -------------------------------------------------------

// A layered drawing: callers left of what they call (longest path from a node nobody calls),
// one column per layer. Enough for the tens of services one host runs; no layout library.
function drawMap(svg, graph) {
  svg.replaceChildren();
  const names = graph.nodes.map((n) => n.name);
  if (!names.length) {
    svg.setAttribute('width', 400); svg.setAttribute('height', 40);
    svg.append(el('text', {x: 12, y: 24, class: 'muted'}, 'no calls stored in this window'));
    return;
  }
  const rank = Object.fromEntries(names.map((n) => [n, 0]));
  for (let pass = 0; pass < names.length; pass++) {  // bounded: a cycle stops growing here
    let changed = false;
    for (const e of graph.edges) {
      if (e.from !== e.to && rank[e.to] < rank[e.from] + 1 && rank[e.from] + 1 < names.length) {
        rank[e.to] = rank[e.from] + 1; changed = true;
      }
    }
    if (!changed) break;
  }
  const columns = [];
  for (const n of graph.nodes) (columns[rank[n.name]] = columns[rank[n.name]] || []).push(n);
  const W = 190, H = 44, GX = 240, GY = 34, PAD = 20;
  const pos = {};
  let width, height;
  // Calls that come back around (a ring of services) stretch the layers into a long chain: past
  // five layers the services go on a circle instead, edges bending through the middle.
  const circle = columns.length > 5;
  if (circle) {
    // An ellipse on which neighbours are a box apart across or a box apart down.
    const step = 2 * Math.sin(Math.PI / names.length);
    const rx = Math.max(250, (W + 30) / step), ry = Math.max(140, (H + 30) / step);
    width = 2 * rx + W + 2 * PAD; height = 2 * ry + H + 2 * PAD;
    graph.nodes.forEach((n, i) => {
      const a = 2 * Math.PI * i / graph.nodes.length - Math.PI / 2;
      pos[n.name] = {x: PAD + rx + rx * Math.cos(a), y: PAD + ry + ry * Math.sin(a)};
    });
  } else {
    columns.forEach((col, c) => col.forEach((n, r) => { pos[n.name] = {x: PAD + c * (W + GX), y: PAD + r * (H + GY)}; }));
    width = PAD * 2 + columns.length * W + (columns.length - 1) * GX;
    height = PAD * 2 + Math.max(...columns.map((c) => (c ? c.length : 0))) * (H + GY) - GY;
  }
  svg.setAttribute('width', width); svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.append(el('defs', {}, el('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
    el('path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8d97ab'}))));
  // Labels sit just before the arrow head they belong to (right-aligned), stacked when several
  // edges end at one service, so they never pile up in the middle of the gap.
  const incoming = {};
  graph.edges.forEach((e) => {
    const a = pos[e.from], b = pos[e.to];
    let d, lx, ly, anchor = 'end';
    if (circle && e.from !== e.to) {
      // Centre to centre, bent toward the middle of the circle; the label 60 % along.
      let x1 = a.x + W / 2, y1 = a.y + H / 2, x2 = b.x + W / 2, y2 = b.y + H / 2;
      const cx = width / 2, cy = height / 2, mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      const qx = mx + (cx - mx) * 0.35, qy = my + (cy - my) * 0.35;
      // Start and end on the boxes' borders, so the arrow head shows.
      const border = (x, y) => {
        const dx = x - qx, dy = y - qy;
        const f = Math.min(dx ? (W / 2) / Math.abs(dx) : Infinity, dy ? (H / 2) / Math.abs(dy) : Infinity, 1);
        return [x - dx * f, y - dy * f];
      };
      [x1, y1] = border(x1, y1);
      [x2, y2] = border(x2, y2);
      d = `M ${x1} ${y1} Q ${qx} ${qy}, ${x2} ${y2}`;
      lx = 0.16 * x1 + 0.48 * qx + 0.36 * x2; ly = 0.16 * y1 + 0.48 * qy + 0.36 * y2; anchor = 'middle';
    } else if (e.from === e.to) {
      d = `M ${a.x + W - 30} ${a.y} C ${a.x + W} ${a.y - 40}, ${a.x + W + 30} ${a.y}, ${a.x + W} ${a.y + 12}`;
      lx = a.x + W; ly = a.y - 22; anchor = 'middle';
    } else {
      const forward = b.x > a.x;
      const x1 = forward ? a.x + W : a.x + W / 2, y1 = forward ? a.y + H / 2 : a.y + H;
      const x2 = forward ? b.x : b.x + W / 2, y2 = forward ? b.y + H / 2 : b.y;
      const bend = forward ? (x2 - x1) / 2 : 40;
      d = forward ? `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`
                  : `M ${x1} ${y1} C ${x1 + bend} ${y1 + bend}, ${x2 + bend} ${y2 - bend}, ${x2} ${y2}`;
      const k = incoming[e.to] = (incoming[e.to] || 0) + 1;
      if (forward) { lx = x2 - 10; ly = y2 - 6 - 12 * (k - 1); }
      else { lx = x2 + W / 2 + 4; ly = y2 - 6 - 12 * (k - 1); anchor = 'start'; }
    }
    const label = `${fmtRate(e.rate_per_s)}/s · ${fmtPct(e.error_pct)} err · p99 ${fmtDur(e.p99_ns)}`;
    svg.append(el('g', {class: 'edge' + (e.errors > 0 ? ' errors' : ''), 'data-from': e.from, 'data-to': e.to,
                        onclick: () => openSpans(`--from '${e.from}' --to '${e.to}'`)},
      el('title', {}, `${e.from} → ${e.to} (${e.protocol}): ${fmtCount(e.count)} calls, ${label}`),
      el('path', {d, 'marker-end': 'url(#arrow)'}),
      el('text', {x: lx, y: ly, 'text-anchor': anchor}, `${e.protocol} ${label}`)));
  });
  for (const n of graph.nodes) {
    const p = pos[n.name];
    const sub = `${fmtCount(n.calls_in)} calls in · ${fmtCount(n.calls_out)} out`;
    svg.append(el('g', {class: 'node' + (n.errors_in > 0 ? ' errors' : ''), 'data-name': n.name,
                        transform: `translate(${p.x},${p.y})`, onclick: () => openSpans(`--service '${n.name.replace(/\(\d+\)$/, '')}'`)},
      el('title', {}, n.name),
      el('rect', {width: W, height: H}),
      el('text', {x: 10, y: 18}, n.name.length > 26 ? n.name.slice(0, 25) + '…' : n.name),
      el('text', {x: 10, y: 34, class: 'sub'}, sub)));
  }
}

async function loadOverview() {
  // One call for both: they aggregate the same spans, and reading those is most of the cost.
  const {map: graph, stats} = await api('overview', [['since', windowValue()]]);
  drawMap($('#map'), graph);
  fill($('#red tbody'), stats.rows.map((r) => el('tr', {onclick: () => openSpans(`--service '${r.service}' --kind ${r.kind} --protocol ${r.protocol}`)},
    el('td', {}, r.service), el('td', {}, r.kind), el('td', {}, r.protocol), el('td', {class: 'wrap'}, r.operation),
    el('td', {class: 'num'}, fmtCount(r.count)), el('td', {class: 'num'}, fmtRate(r.rate_per_s)),
    el('td', {class: 'num' + (r.errors > 0 ? ' bad' : '')}, fmtPct(r.error_pct)),
    el('td', {class: 'num'}, fmtDur(r.p50_ns)), el('td', {class: 'num'}, fmtDur(r.p90_ns)), el('td', {class: 'num'}, fmtDur(r.p99_ns)))),
    'no spans stored in this window', 10);
}

// --- spans ----------------------------------------------------------------------------------

function kernelBadge(k) {
  if (!k || !k.retransmits) return '';
  return el('span', {class: 'badge', title: 'TCP retransmissions during the span'}, `${k.retransmits} retx`);
}

function openSpans(filterText) {
  $('#filter').value = filterText;
  if (location.hash === '#spans') loadView('spans'); else location.hash = '#spans';
}

async function loadSpans() {
  const params = [['since', windowValue()], ['last', '200']];
  const q = $('#filter').value.trim();
  if (q) params.push(['q', q]);
  const body = await api('spans', params);
  $('#span-count').textContent = body.spans.length >= body.limit
      ? `the newest ${body.limit} matching spans` : `${body.spans.length} matching spans`;
  fill($('#spans tbody'), body.spans.map((s) => el('tr', {'data-trace': s.trace_id, onclick: () => { location.hash = '#trace/' + s.trace_id; }},
    el('td', {}, fmtTime(s.start_ns)), el('td', {}, s.from), el('td', {}, s.to), el('td', {}, s.protocol),
    el('td', {class: 'wrap'}, s.operation), el('td', {class: s.status === 'error' ? 'bad' : ''}, s.outcome),
    el('td', {class: 'num'}, fmtDur(s.duration_ns)), el('td', {}, kernelBadge(s.kernel)), el('td', {}, traceLink(s.trace_id)))),
    'no span matches', 9);
}

// --- trace waterfall ------------------------------------------------------------------------

function showSpanDetails(s) {
  const rows = [['span', s.span_id], ['parent', s.parent_span_id || '(root here)'], ['service', s.service],
                ['kind', s.kind], ['start', fmtTime(s.start_ns)], ['duration', fmtDur(s.duration_ns)],
                ['status', s.status + (s.status_message ? ': ' + s.status_message : '')]];
  for (const [k, v] of Object.entries(s.attributes || {})) rows.push([k, typeof v === 'object' ? JSON.stringify(v) : v]);
  for (const e of s.events || []) rows.push(['event ' + e.name, fmtTime(e.time_unix_nano) + ' ' + JSON.stringify(e.attributes || {})]);
  for (const [k, v] of Object.entries(s.resource || {})) rows.push(['resource ' + k, typeof v === 'object' ? JSON.stringify(v) : v]);
  $('#span-details').replaceChildren(el('table', {class: 'grid'}, el('tbody', {},
    ...rows.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {class: 'wrap'}, v))))));
}

async function loadTrace(id) {
  $('#trace-id').value = id || '';
  $('#waterfall').replaceChildren();
  $('#span-details').replaceChildren();
  if (!id) { $('#trace-title').textContent = 'Open a trace from the span list, or paste its id.'; return; }
  const t = await api('trace/' + encodeURIComponent(id));
  $('#trace-title').textContent = `trace ${t.trace_id} · ${t.spans.length} spans · ${fmtDur(t.duration_ns)}`;
  const total = Math.max(t.duration_ns, 1);
  const pct = (ns) => (100 * ns / total).toFixed(3) + '%';
  const rows = t.spans.map((s) => {
    const k = s.kernel || {};
    const track = el('div', {class: 'wf-track'},
      el('div', {class: `wf-bar ${s.kind}${s.status === 'error' ? ' error' : ''}`,
                 style: `left:${pct(s.start_ns - t.start_ns)};width:${pct(s.duration_ns)}`,
                 title: `${fmtDur(s.start_ns - t.start_ns)} + ${fmtDur(s.duration_ns)}`}));
    // The kernel's view of the span: a tick at each TCP retransmission, the count and the RTT.
    for (const m of k.retransmit_events || []) {
      track.append(el('div', {class: 'wf-mark', style: `left:${pct(Math.max(0, m.time_ns - t.start_ns))}`,
                              title: `TCP retransmission (${m.side || '?'} socket, ${m.state || '?'})`}));
    }
    const notes = [];
    if (k.retransmits) notes.push(`${k.retransmits} tcp retransmit${k.retransmits > 1 ? 's' : ''}`);
    if (k.rtt_s !== undefined) notes.push(`rtt ${fmtDur(k.rtt_s * 1e9)}`);
    if (notes.length) {
      // Beside the bar where there is room: after it, else before it, else over it.
      const begin = (s.start_ns - t.start_ns) / total, end = begin + s.duration_ns / total;
      const place = end < 0.7 ? `left:calc(${(100 * end).toFixed(3)}% + 4px)`
                  : begin > 0.3 ? `right:calc(${(100 - 100 * begin).toFixed(3)}% + 4px)`
                  : `left:calc(${(100 * begin).toFixed(3)}% + 4px);color:#fff`;
      track.append(el('span', {class: 'wf-kernel', style: place}, notes.join(' · ')));
    }
    const row = el('div', {class: 'wf-row', 'data-span': s.span_id},
      el('div', {class: 'wf-label', style: `padding-left:${8 + 16 * s.depth}px`, title: s.operation},
         `${s.service} ${s.kind} ${s.protocol} ${s.operation} `, el('span', {class: s.status === 'error' ? 'bad' : 'muted'}, s.outcome)),
      track,
      el('div', {class: 'wf-dur'}, fmtDur(s.duration_ns)));
    row.addEventListener('click', () => {
      for (const r of document.querySelectorAll('.wf-row.selected')) r.classList.remove('selected');
      row.classList.add('selected');
      showSpanDetails(s);
    });
    return row;
  });
  $('#waterfall').replaceChildren(...rows);
  if (t.spans.length) showSpanDetails(t.spans[0]);
}

// --- DNS and TCP ----------------------------------------------------------------------------

function who(e) { return (e.service || '?') + (e.pid ? `(${e.pid})` : ''); }

async function loadDns() {
  const since = ['since', windowValue()];
  const [lookups, spans] = await Promise.all([
    api('events', [['kind', 'dns_lookup'], since, ['last', '500']]),
    api('spans', [since, ['protocol', 'dns'], ['last', '200']])]);
  fill($('#dns-lookups tbody'), lookups.events.map((e) => el('tr', {},
    el('td', {}, fmtTime(e.time_ns)), el('td', {}, who(e)), el('td', {class: 'wrap'}, e.name || ''),
    el('td', {class: e.result ? 'bad' : ''}, e.result ? `failed (${e.result})` : 'ok'),
    el('td', {class: 'num'}, fmtDur(e.duration_ns)))), 'no lookup stored in this window', 5);
  fill($('#dns-spans tbody'), spans.spans.map((s) => el('tr', {onclick: () => { location.hash = '#trace/' + s.trace_id; }},
    el('td', {}, fmtTime(s.start_ns)), el('td', {}, s.from), el('td', {}, s.to), el('td', {class: 'wrap'}, s.operation),
    el('td', {class: s.status === 'error' ? 'bad' : ''}, s.outcome), el('td', {class: 'num'}, fmtDur(s.duration_ns)),
    el('td', {}, traceLink(s.trace_id)))), 'no DNS query seen on the wire in this window', 7);
}

async function loadTcp() {
  const kinds = [...document.querySelectorAll('#tcp-kinds input:checked')].map((c) => ['kind', c.value]);
  if (!kinds.length) { fill($('#tcp tbody'), [], 'no event kind chosen', 7); return; }
  const body = await api('events', [...kinds, ['since', windowValue()], ['last', '1000']]);
  const counts = {};
  for (const e of body.events) counts[e.kind] = (counts[e.kind] || 0) + 1;
  $('#tcp-summary').textContent = Object.entries(counts).map(([k, n]) => `${k}: ${n}`).join(' · ') || 'no events';
  fill($('#tcp tbody'), body.events.map((e) => {
    const details = Object.entries(e.details || {}).map(([k, v]) => `${k}=${v}`);
    if (e.kind === 'tcp_failed') details.unshift(e.result ? `errno ${e.result}` : 'given up');
    return el('tr', {'data-kind': e.kind},
      el('td', {}, fmtTime(e.time_ns)), el('td', {class: e.kind === 'tcp_failed' || e.kind === 'tcp_retransmit' ? 'bad' : ''}, e.kind),
      el('td', {}, who(e)), el('td', {}, endpoint(e.local_address, e.local_port)), el('td', {}, endpoint(e.peer_address, e.peer_port)),
      el('td', {class: 'num'}, e.duration_ns ? fmtDur(e.duration_ns) : ''), el('td', {class: 'wrap'}, details.join(' ')));
  }), 'no TCP event stored in this window', 7);
}

// --- navigation -----------------------------------------------------------------------------

let generation = 0;  // a slow answer for a view the user already left is dropped

async function loadView(name, arg) {
  const mine = ++generation;
  document.body.dataset.state = 'loading:' + name;
  for (const v of views) $('#view-' + v).hidden = v !== name;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === name);
  showError('');
  const started = performance.now();
  try {
    if (name === 'overview') await loadOverview();
    else if (name === 'spans') await loadSpans();
    else if (name === 'trace') await loadTrace(arg);
    else if (name === 'dns') await loadDns();
    else if (name === 'tcp') await loadTcp();
    if (mine !== generation) return;
    document.body.dataset.state = 'ready:' + name;
    document.body.dataset.loadMs = String(Math.round(performance.now() - started));
  } catch (err) {
    if (mine !== generation) return;
    showError(err.message);
    document.body.dataset.state = 'failed:' + name;
  }
}

function route() {
  const hash = location.hash.replace(/^#/, '');
  const [name, arg] = hash.split('/');
  loadView(views.includes(name) ? name : 'overview', arg);
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', () => {
  const saved = sessionStorage.getItem('otelbpf.window');
  if (saved) $('#window').value = saved;
  $('#window').addEventListener('change', () => { sessionStorage.setItem('otelbpf.window', windowValue()); route(); });
  $('#refresh').addEventListener('click', route);
  $('#span-search').addEventListener('submit', (e) => { e.preventDefault(); openSpans($('#filter').value); });
  $('#trace-open').addEventListener('submit', (e) => { e.preventDefault(); location.hash = '#trace/' + $('#trace-id').value.trim(); });
  for (const c of document.querySelectorAll('#tcp-kinds input')) c.addEventListener('change', () => loadView('tcp'));
  api('status').then((s) => { $('#status').textContent = `v${s.version} · store ${s.store}`; }).catch(() => {});
  route();
});
