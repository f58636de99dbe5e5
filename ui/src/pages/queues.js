// Queues: each queue's config (rate limit, concurrency, retention, push target and its breaker
// state from /readyz) with pause and resume; a queue's own page adds its summary and chart.
import { ApiError, get, post, qs } from '../api.js';
import { h, STATES, fmtNum, fmtDuration, fmtPercent, fmtAgo, notice, jobsHref } from '../dom.js';
import { minuteSeries, throughputChart } from '../chart.js';

function rate(c) {
  return c.rate_limit ? `${fmtNum(c.rate_limit.limit)} per ${fmtDuration(c.rate_limit.per_ms)}` : 'none';
}
function ms(v, dflt) {
  return v === null || v === undefined ? `${dflt} (default)` : fmtDuration(v);
}

function pauseButton(q, ctx, after) {
  if (!ctx.canAct) return null;
  const verb = q.paused ? 'resume' : 'pause';
  return h('button', {
    type: 'button', class: q.paused ? '' : 'secondary', dataset: { action: verb, queue: q.name },
    'aria-label': `${q.paused ? 'Resume' : 'Pause'} queue ${q.name}`,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await post(`/v1/queues/${encodeURIComponent(q.name)}/${verb}`);
      } catch (err) {
        alert(`Could not ${verb} ${q.name}: ${err.message}`);
      }
      after();
    },
  }, q.paused ? 'Resume' : 'Pause');
}

async function breakers() {
  try {
    const r = await fetch('/readyz', { cache: 'no-store' });
    const j = await r.json();
    return { breakers: j.breakers || {}, push: j.push || {} };
  } catch {
    return { breakers: {}, push: {} };
  }
}

// /readyz keys breakers by target (host) and says each push queue's target under `push`.
function breakerText(q, br) {
  const push = q.config && q.config.push;
  if (!push) return 'no push target';
  const target = br.push[q.name] && br.push[q.name].target;
  const b = target !== undefined ? br.breakers[target] : undefined;
  return b === undefined ? 'closed' : typeof b === 'object' ? (b.state || JSON.stringify(b)) : String(b);
}

export function renderQueues(main, ctx) {
  const out = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Queues')), out);
  let stopped = false;
  async function load() {
    try {
      const [r, br] = await Promise.all([get('/v1/queues'), breakers()]);
      if (stopped) return;
      if (!r.queues.length) {
        out.replaceChildren(h('p', { class: 'muted' }, 'No queues yet.'));
        return;
      }
      out.replaceChildren(h('div', { class: 'scroll' }, h('table', { id: 'queues-config' },
        h('thead', null, h('tr', null, ...['Queue', 'Status', 'Concurrency', 'Rate limit', 'Max attempts', 'Keep completed', 'Keep dead', 'Push target', 'Breaker', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, ...r.queues.map((q) => {
          const c = q.config || {};
          return h('tr', { dataset: { queue: q.name } },
            h('th', { scope: 'row' }, h('a', { href: `#/queues/${encodeURIComponent(q.name)}` }, q.name)),
            h('td', { class: 'q-status' }, q.paused ? h('span', { class: 'badge paused' }, 'paused') : 'running'),
            h('td', null, c.concurrency ? fmtNum(c.concurrency) : 'no cap'),
            h('td', null, rate(c)),
            h('td', null, c.max_attempts ?? '3 (default)'),
            h('td', null, ms(c.retain_completed_ms, '24 h')),
            h('td', null, ms(c.retain_dead_ms, '7 d')),
            h('td', { class: 'mono' }, c.push ? c.push.url : '–'),
            h('td', null, breakerText(q, br)),
            h('td', null, pauseButton(q, ctx, load)));
        })))));
    } catch (e) {
      if (!stopped) out.replaceChildren(notice('error', `Could not read the queues: ${e.message}`));
    }
  }
  load();
  return () => {
    stopped = true;
  };
}

export function renderQueue(main, ctx) {
  const name = ctx.arg;
  const out = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', null, h('a', { href: '#/queues' }, '← Queues')), h('div', { class: 'page-head' }, h('h1', null, 'Queue ', h('span', { class: 'mono' }, name))), out);
  let stopped = false;
  let chart = null;
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': `Jobs of ${name} per minute over the last hour` });
  async function load() {
    try {
      const [q, s, br] = await Promise.all([
        get(`/v1/queues/${encodeURIComponent(name)}`),
        get(`/v1/metrics/summary${qs({ hours: 1, queue: name })}`).catch(() => null),
        breakers(),
      ]);
      if (stopped) return;
      const c = q.config || {};
      const row = (k, v) => [h('dt', null, k), h('dd', null, v)];
      const counts = h('dl', { class: 'facts counts' }, ...STATES.map((st) => row(st, h('a', { href: st === 'dead' ? `#/dead?queue=${encodeURIComponent(name)}` : jobsHref({ queue: name, state: st }) }, fmtNum(q.counts[st] || 0)))));
      const p = (s && s.processing_ms) || {};
      out.replaceChildren(
        h('div', { class: 'job-state' }, h('span', { id: 'queue-status' }, q.paused ? h('span', { class: 'badge paused' }, 'paused') : h('span', { class: 'badge running' }, 'running')), h('div', { class: 'actions' }, pauseButton(q, ctx, load))),
        h('section', null, h('h2', null, 'Jobs by state'), counts),
        s ? h('section', null, h('h2', null, 'Last hour'), h('dl', { class: 'facts' },
          row('Enqueued', fmtNum(s.enqueued)), row('Completed', fmtNum(s.completed)), row('Failed attempts', fmtNum(s.failed)),
          row('Success rate', fmtPercent(s.success_rate)), row('p95 processing', p.p95 == null ? '–' : fmtDuration(p.p95)),
          row('Oldest waiting', s.oldest_queued_at ? h('a', { href: jobsHref({ queue: name, state: 'queued', order: 'asc' }) }, fmtAgo(s.oldest_queued_at)) : 'none')), chartBox) : null,
        h('section', null, h('h2', null, 'Config'), h('dl', { class: 'facts' },
          row('Concurrency', c.concurrency ? fmtNum(c.concurrency) : 'no cap'),
          row('Rate limit', rate(c)),
          row('Max attempts', c.max_attempts ?? '3 (default)'),
          row('Lease', ms(c.lease_ms, '30 s')),
          row('Backoff', c.backoff ? `${c.backoff.type}, ${fmtDuration(c.backoff.base_ms)} .. ${fmtDuration(c.backoff.max_ms)}${c.backoff.jitter ? ', jitter' : ''}` : 'exponential, 1 s .. 1 h, jitter (default)'),
          row('Keep completed', ms(c.retain_completed_ms, '24 h')),
          row('Keep dead', ms(c.retain_dead_ms, '7 d')),
          row('Keep cancelled', ms(c.retain_cancelled_ms, '24 h')),
          row('Push target', c.push ? c.push.url : 'none (workers reserve)'),
          row('Breaker', breakerText(q, br)))),
      );
      if (s) {
        const c = await throughputChart(chartBox, minuteSeries(s.series, 1));
        if (chart) chart.destroy();
        chart = c;
        if (stopped) c.destroy();
      }
    } catch (e) {
      if (!stopped) out.replaceChildren(notice('error', e instanceof ApiError && e.status === 404 ? `There is no queue ${name}.` : `Could not read the queue: ${e.message}`));
    }
  }
  let t = null;
  const off = ctx.stream.on((ev) => {
    if ((ev.queue === name || ev.event === 'tick' || ev.event === 'gap') && !t) t = setTimeout(() => { t = null; load(); }, 1000);
  });
  load();
  return () => {
    stopped = true;
    off();
    if (t) clearTimeout(t);
    if (chart) chart.destroy();
  };
}
