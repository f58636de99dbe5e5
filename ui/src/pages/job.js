// A job: its state, payload (pretty, collapsible JSON), attempts with each error and timing,
// result, progress, lease and worker when active, and the actions its state allows (cancel,
// retry) for a token that may take them. Live: re-read when an event for this job arrives.
import { ApiError, api, get, post } from '../api.js';
import { h, stateBadge, fmtTime, fmtDuration, notice, jobsHref } from '../dom.js';

const CANCELLABLE = ['scheduled', 'queued', 'retrying'];
const RETRYABLE = ['dead', 'cancelled'];

export function renderJob(main, ctx) {
  const id = ctx.arg;
  const head = h('div', { class: 'page-head' }, h('h1', null, 'Job ', h('span', { class: 'mono' }, id)));
  const msg = h('div', { class: 'msg', 'aria-live': 'polite' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', null, h('a', { href: '#/jobs' }, '← Jobs')), head, msg, body);

  let stopped = false;
  async function load() {
    try {
      const job = await get(`/v1/jobs/${encodeURIComponent(id)}`);
      if (!stopped) body.replaceChildren(view(job));
    } catch (e) {
      if (stopped) return;
      body.replaceChildren(notice('error', e instanceof ApiError && e.status === 404 ? `There is no job ${id} (it may have been deleted by retention).` : `Could not read the job: ${e.message}`));
    }
  }

  async function act(label, fn) {
    msg.replaceChildren();
    try {
      const r = await fn();
      msg.replaceChildren(notice('ok', `${label}: the job is now ${r.state}.`));
    } catch (e) {
      msg.replaceChildren(notice('error', `${label} failed: ${e.message}`));
    }
    load();
  }

  function view(j) {
    const actions = h('div', { class: 'actions' });
    if (ctx.canAct && CANCELLABLE.includes(j.state)) {
      actions.append(h('button', { type: 'button', class: 'danger', id: 'cancel-job', onclick: () => act('Cancel', () => api('DELETE', `/v1/jobs/${encodeURIComponent(id)}`)) }, 'Cancel job'));
    }
    if (ctx.canAct && RETRYABLE.includes(j.state)) {
      actions.append(h('button', { type: 'button', id: 'retry-job', onclick: () => act('Retry', () => post(`/v1/jobs/${encodeURIComponent(id)}/retry`)) }, 'Retry job'));
    }
    const row = (k, v) => [h('dt', null, k), h('dd', null, v ?? '–')];
    return h('div', { class: 'job' },
      h('div', { class: 'job-state' }, h('span', { id: 'job-state' }, stateBadge(j.state)), actions),
      h('dl', { class: 'facts' },
        row('Type', h('a', { href: jobsHref({ type: j.type }) }, j.type)),
        row('Queue', h('a', { href: `#/queues/${encodeURIComponent(j.queue)}` }, j.queue)),
        row('Attempts', `${j.attempts} of ${j.max_attempts}`),
        row('Priority', String(j.priority)),
        row('Created', fmtTime(j.created_at)),
        row('Run at', fmtTime(j.run_at)),
        row('Started', fmtTime(j.started_at)),
        row('Finished', fmtTime(j.finished_at)),
        row('Processing', j.processing_ms === null || j.processing_ms === undefined ? '–' : fmtDuration(j.processing_ms)),
        j.state === 'active' ? row('Worker', j.worker || '–') : null,
        j.state === 'active' ? row('Lease expires', fmtTime(j.lease_expires_at)) : null,
        row('Dedupe key', j.dedupe_key ? h('a', { href: jobsHref({ dedupe_key: j.dedupe_key }) }, j.dedupe_key) : '–'),
        row('Tags', j.tags && j.tags.length ? j.tags.map((t) => h('a', { href: jobsHref({ tag: t }), class: 'tag' }, t)) : '–'),
      ),
      j.last_error ? h('section', null, h('h2', null, 'Last error'), h('p', { class: 'err' }, `${j.last_error.kind}: ${j.last_error.message}`), h('p', { class: 'muted' }, fmtTime(j.last_error.at))) : null,
      h('section', null, h('h2', null, 'Attempts and errors'), errorsTable(j.errors || [])),
      h('section', null, h('h2', null, 'Payload'), jsonView(j.payload)),
      j.progress !== null && j.progress !== undefined ? h('section', null, h('h2', null, 'Progress'), jsonView(j.progress)) : null,
      j.result !== null && j.result !== undefined ? h('section', null, h('h2', null, 'Result'), jsonView(j.result)) : null,
    );
  }

  const off = ctx.stream.on((ev) => {
    if (ev.job_id === id || ev.event === 'gap' || ev.event === 'reconnected' || ev.event === 'tick') load();
  });
  load();
  return () => {
    stopped = true;
    off();
  };
}

function errorsTable(errors) {
  if (!errors.length) return h('p', { class: 'muted' }, 'No failed attempts.');
  return h('div', { class: 'scroll' }, h('table', null,
    h('thead', null, h('tr', null, ...['Attempt', 'Kind', 'When', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...errors.map((e) => h('tr', null,
      h('td', { class: 'num' }, e.attempt ?? '–'), h('td', null, e.kind), h('td', { class: 'nowrap' }, fmtTime(e.at)), h('td', { class: 'err' }, e.message))))));
}

// Pretty, collapsible JSON: objects and arrays are <details> (open for the first two levels),
// so a large payload stays readable and every level is keyboard reachable.
export function jsonView(value) {
  return h('div', { class: 'json' }, node(value, 0));
}

function node(v, depth) {
  if (v === null) return h('span', { class: 'j-null' }, 'null');
  if (typeof v === 'string') return h('span', { class: 'j-str' }, JSON.stringify(v));
  if (typeof v === 'number') return h('span', { class: 'j-num' }, String(v));
  if (typeof v === 'boolean') return h('span', { class: 'j-bool' }, String(v));
  const isArr = Array.isArray(v);
  const entries = isArr ? v.map((x, i) => [i, x]) : Object.entries(v);
  if (!entries.length) return h('span', null, isArr ? '[]' : '{}');
  const summary = h('summary', null, isArr ? `[ ${entries.length} item${entries.length === 1 ? '' : 's'} ]` : `{ ${entries.length} key${entries.length === 1 ? '' : 's'} }`);
  return h('details', { open: depth < 2 }, summary, h('ul', null, ...entries.map(([k, x]) => h('li', null, isArr ? null : h('span', { class: 'j-key' }, `${JSON.stringify(k)}: `), node(x, depth + 1)))));
}
