// Schedules (API.md "Schedules"): expression, time zone, next five fires, last run and its job;
// pause, resume, trigger now. A server without schedules answers 404 on /v1/schedules: the page
// says so calmly.
import { ApiError, api, get, post } from '../api.js';
import { h, fmtTime, notice } from '../dom.js';

function every(ms) {
  const units = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
  for (const [u, n] of units) if (ms % u === 0) return `every ${ms / u} ${n}`;
  return `every ${ms} ms`;
}

export function renderSchedules(main, ctx) {
  const msg = h('div', { class: 'msg', 'aria-live': 'polite' });
  const out = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Schedules')), msg, out);
  let stopped = false;

  async function act(s, label, fn) {
    msg.replaceChildren();
    try {
      const r = await fn();
      msg.replaceChildren(notice('ok', label === 'Trigger' && r && r.id
        ? h('span', null, `Triggered ${s.name}: job `, h('a', { href: `#/jobs/${encodeURIComponent(r.id)}` }, r.id)) : `${label}: ${s.name} done.`));
    } catch (e) {
      msg.replaceChildren(notice('error', `${label} ${s.name} failed: ${e.message}`));
    }
    load();
  }

  async function details(s, cell) {
    try {
      const d = await get(`/v1/schedules/${encodeURIComponent(s.id)}`);
      cell.replaceChildren(h('ol', { class: 'fires' }, ...(d.next_runs || []).map((t) => h('li', null, fmtTime(t)))));
    } catch (e) {
      cell.replaceChildren(notice('error', e.message));
    }
  }

  async function load() {
    let r;
    try {
      r = await get('/v1/schedules');
    } catch (e) {
      if (stopped) return;
      out.replaceChildren(e instanceof ApiError && e.status === 404
        ? notice('info', 'Schedules are not available on this server.')
        : notice('error', `Could not read the schedules: ${e.message}`));
      return;
    }
    if (stopped) return;
    const list = Array.isArray(r) ? r : r.schedules || [];
    if (!list.length) {
      out.replaceChildren(h('p', { class: 'muted' }, 'No schedules yet (POST /v1/schedules).'));
      return;
    }
    out.replaceChildren(h('div', { class: 'scroll' }, h('table', { id: 'schedules' },
      h('thead', null, h('tr', null, ...['Name', 'When', 'Time zone', 'Next fires', 'Last run', 'Last job', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ...list.map((s) => {
        const fires = h('td', null, fmtTime(s.next_run_at));
        const more = h('button', { type: 'button', class: 'link', onclick: () => details(s, fires) }, 'next 5');
        fires.append(' ', more);
        const acts = ctx.canAct ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', dataset: { action: s.paused ? 'resume' : 'pause' }, onclick: () => act(s, s.paused ? 'Resume' : 'Pause', () => api('PATCH', `/v1/schedules/${encodeURIComponent(s.id)}`, { paused: !s.paused })) }, s.paused ? 'Resume' : 'Pause'),
          h('button', { type: 'button', dataset: { action: 'trigger' }, onclick: () => act(s, 'Trigger', () => post(`/v1/schedules/${encodeURIComponent(s.id)}/trigger`)) }, 'Trigger now')) : null;
        return h('tr', { dataset: { schedule: s.name } },
          h('th', { scope: 'row' }, s.name),
          h('td', { class: 'mono' }, s.cron ?? (s.every_ms ? every(s.every_ms) : '–')),
          h('td', null, s.timezone || 'UTC'),
          fires,
          h('td', { class: 'nowrap' }, fmtTime(s.last_run_at)),
          h('td', { class: 'mono' }, s.last_job_id ? h('a', { href: `#/jobs/${encodeURIComponent(s.last_job_id)}` }, s.last_job_id) : '–'),
          h('td', null, s.paused ? h('span', { class: 'badge paused' }, 'paused') : 'active'),
          h('td', null, acts));
      })))));
  }
  load();
  return () => {
    stopped = true;
  };
}
