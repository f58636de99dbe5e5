// A tiny DOM helper: h('a', {href, class}, 'text', child) builds elements. Text is always set as
// text, never as HTML, so server data cannot inject markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export const STATES = ['scheduled', 'queued', 'active', 'retrying', 'completed', 'dead', 'cancelled'];

// A state as a badge: a label in words plus a colour (never colour alone).
export function stateBadge(state) {
  return h('span', { class: `badge s-${state}` }, state);
}

// One formatter for all: Number.toLocaleString builds a new one per call, which costs ~50 µs,
// and the overview formats a number per queue per state.
const numberFormat = new Intl.NumberFormat('en-US');
export function fmtNum(n) {
  if (n === null || n === undefined) return '–';
  const x = Number(n);
  return x < 1000 && x >= 0 && Number.isInteger(x) ? String(x) : numberFormat.format(x);
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function fmtAgo(iso, now = Date.now()) {
  if (!iso) return '–';
  const ms = now - new Date(iso).getTime();
  return `${fmtDuration(Math.abs(ms))} ${ms >= 0 ? 'ago' : 'from now'}`;
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = s / 60;
  if (m < 60) return `${Math.floor(m)} min ${Math.round(s % 60)} s`;
  const hr = m / 60;
  if (hr < 48) return `${Math.floor(hr)} h ${Math.round(m % 60)} min`;
  return `${Math.floor(hr / 24)} d ${Math.round(hr % 24)} h`;
}

export function fmtPercent(x) {
  if (x === null || x === undefined) return '–';
  return `${(x * 100).toFixed(x >= 0.999 || x === 0 ? 1 : 2)}%`;
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

export function jobsHref(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const s = u.toString();
  return `#/jobs${s ? `?${s}` : ''}`;
}

export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// Asks before a bulk action; the text must say how many jobs it touches.
export function confirmDialog({ title, text, ok, danger = false }) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const okButton = document.getElementById('confirm-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger' : '';
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.showModal();
    dlg.querySelector('button[value=cancel]').focus();
  });
}
