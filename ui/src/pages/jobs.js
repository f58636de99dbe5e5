// Jobs: a browser over GET /v1/jobs with filters (state, queue, type, tag, dedupe key), newest
// or oldest first, and cursor pagination (the server's keyset cursor, so page 1000 costs what
// page 1 does). Lookup by id goes straight to the job's page. The filters live in the URL, so
// every number elsewhere can link here. The URL holds one cursor, the page's own; the way back
// (which cursor led here) is remembered in sessionStorage, so Previous works within the tab and
// a bookmarked page offers First page instead. Back and forward are the browser's own history.
import { get, qs } from '../api.js';
import { h, STATES, stateBadge, fmtTime, notice, jobsHref } from '../dom.js';

const FILTERS = ['state', 'queue', 'type', 'tag', 'dedupe_key', 'order'];

export function renderJobs(main, ctx) {
  const q = ctx.query;
  const f = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) || '']));
  const cursor = q.get('cursor') || '';

  const field = (name, label, input) => h('div', { class: 'field' }, h('label', { for: `f-${name}` }, label), input);
  const text = (name) => h('input', { id: `f-${name}`, name, value: f[name], autocomplete: 'off', spellcheck: 'false' });
  const stateSel = h('select', { id: 'f-state', name: 'state' },
    h('option', { value: '' }, 'any'), ...STATES.map((s) => h('option', { value: s, selected: f.state === s }, s)));
  const orderSel = h('select', { id: 'f-order', name: 'order' },
    h('option', { value: 'desc', selected: f.order !== 'asc' }, 'newest first'),
    h('option', { value: 'asc', selected: f.order === 'asc' }, 'oldest first'));
  const filterForm = h('form', { class: 'filters', 'aria-label': 'Filter jobs' },
    field('state', 'State', stateSel), field('queue', 'Queue', text('queue')), field('type', 'Type', text('type')),
    field('tag', 'Tag', text('tag')), field('dedupe_key', 'Dedupe key', text('dedupe_key')), field('order', 'Order', orderSel),
    h('div', { class: 'field end' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: '#/jobs', class: 'button secondary' }, 'Clear')));
  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(filterForm);
    const p = {};
    for (const k of FILTERS) p[k] = (data.get(k) || '').toString().trim();
    if (p.order === 'desc') p.order = '';
    location.hash = jobsHref(p);
  });

  const idInput = h('input', { id: 'lookup-id', name: 'id', placeholder: '01JD…', autocomplete: 'off', spellcheck: 'false', required: true });
  const lookup = h('form', { class: 'lookup', role: 'search', 'aria-label': 'Find a job by id' },
    h('label', { for: 'lookup-id' }, 'Job id'), idInput, h('button', { type: 'submit', class: 'secondary' }, 'Open'));
  lookup.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = idInput.value.trim();
    if (id) location.hash = `#/jobs/${encodeURIComponent(id)}`;
  });

  const out = h('div', { id: 'jobs-list' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Jobs'), lookup), filterForm, out);

  let stopped = false;
  (async () => {
    try {
      const r = await get(`/v1/jobs${qs({ ...f, order: f.order || undefined, cursor, limit: 50 })}`);
      if (stopped) return;
      if (r.next_cursor) rememberPrevious(f, r.next_cursor, cursor);
      out.replaceChildren(jobsTable(r.jobs), pager(f, cursor, previousOf(f, cursor), r.next_cursor));
    } catch (e) {
      if (!stopped) out.replaceChildren(notice('error', `Could not list jobs: ${e.message}`));
    }
  })();
  return () => {
    stopped = true;
  };
}

export function jobsTable(jobs) {
  if (!jobs.length) return h('p', { class: 'muted' }, 'No jobs match.');
  return h('div', { class: 'scroll' }, h('table', { class: 'jobs' },
    h('thead', null, h('tr', null, ...['Id', 'Type', 'Queue', 'State', 'Attempts', 'Created', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...jobs.map((j) => h('tr', { dataset: { id: j.id } },
      h('td', { class: 'mono' }, h('a', { href: `#/jobs/${encodeURIComponent(j.id)}` }, j.id)),
      h('td', null, j.type),
      h('td', null, h('a', { href: jobsHref({ queue: j.queue }) }, j.queue)),
      h('td', null, stateBadge(j.state)),
      h('td', { class: 'num' }, `${j.attempts}/${j.max_attempts}`),
      h('td', { class: 'nowrap' }, fmtTime(j.created_at)),
      h('td', { class: 'err' }, j.last_error ? j.last_error.message : ''),
    )))));
}

// Which cursor led to a page, per filter set: {key: previous cursor ('' for the first page)}.
// Bounded, oldest entries dropped first; lost with the tab like the token.
const PREV_KEY = 'spool.jobs.previous';
const PREV_MAX = 500;
const pageKey = (f, cursor) => `${jobsHref(f)}#${cursor}`;

function readPrevious() {
  try {
    return JSON.parse(sessionStorage.getItem(PREV_KEY) || '{}') || {};
  } catch {
    return {};
  }
}
function rememberPrevious(f, next, cursor) {
  const m = readPrevious();
  const k = pageKey(f, next);
  delete m[k];
  m[k] = cursor;
  const keys = Object.keys(m);
  for (let i = 0; i < keys.length - PREV_MAX; i++) delete m[keys[i]];
  try {
    sessionStorage.setItem(PREV_KEY, JSON.stringify(m));
  } catch {
    // Storage full or off: Previous is not offered, First page still is.
  }
}
function previousOf(f, cursor) {
  if (!cursor) return undefined;
  const m = readPrevious();
  return Object.prototype.hasOwnProperty.call(m, pageKey(f, cursor)) ? m[pageKey(f, cursor)] : undefined;
}

// prev: the cursor of the page before ('' for the first page), undefined when not known.
function pager(f, cursor, prev, next) {
  const base = { ...f };
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (cursor) {
    if (prev !== undefined) {
      nav.append(h('a', { href: jobsHref({ ...base, cursor: prev }), class: 'button secondary', rel: 'prev' }, '← Previous'));
    }
    nav.append(h('a', { href: jobsHref(base), class: 'button secondary' }, 'First page'));
  }
  if (next) {
    nav.append(h('a', { href: jobsHref({ ...base, cursor: next }), class: 'button secondary', rel: 'next' }, 'Next →'));
  }
  return nav;
}
