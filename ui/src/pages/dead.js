// Dead letters: per queue, the dead jobs, with bulk retry and purge behind a confirmation that
// says how many jobs it will touch (the queue's dead count, read just before asking).
import { api, get, post, qs } from '../api.js';
import { h, fmtNum, notice, confirmDialog } from '../dom.js';
import { jobsTable } from './jobs.js';

export function renderDead(main, ctx) {
  const queue = ctx.query.get('queue') || '';
  const msg = h('div', { class: 'msg', 'aria-live': 'polite' });
  const list = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('div', { class: 'page-head' }, h('h1', null, 'Dead letters', queue ? h('span', { class: 'muted' }, ` · ${queue}`) : null)), msg, list);
  let stopped = false;

  async function deadCount(name) {
    const q = await get(`/v1/queues/${encodeURIComponent(name)}`);
    return q.counts.dead || 0;
  }

  async function bulk(kind) {
    msg.replaceChildren();
    let n;
    try {
      n = await deadCount(queue);
    } catch (e) {
      msg.replaceChildren(notice('error', `Could not count the dead jobs: ${e.message}`));
      return;
    }
    if (!n) {
      msg.replaceChildren(notice('ok', `Queue ${queue} has no dead jobs.`));
      return;
    }
    const jobs = `${fmtNum(n)} dead job${n === 1 ? '' : 's'}`;
    const ok = await confirmDialog(kind === 'retry'
      ? { title: `Retry ${jobs}?`, text: `This puts ${jobs} of queue ${queue} back in the queue with their attempts reset.`, ok: `Retry ${jobs}` }
      : { title: `Delete ${jobs}?`, text: `This deletes ${jobs} of queue ${queue} for good. It cannot be undone.`, ok: `Delete ${jobs}`, danger: true });
    if (!ok) return;
    try {
      if (kind === 'retry') {
        const r = await post(`/v1/queues/${encodeURIComponent(queue)}/retry-dead`);
        msg.replaceChildren(notice('ok', `Retried ${fmtNum(r.retried)} job${r.retried === 1 ? '' : 's'}.`));
      } else {
        const r = await api('DELETE', `/v1/queues/${encodeURIComponent(queue)}/jobs${qs({ state: 'dead' })}`);
        msg.replaceChildren(notice('ok', `Deleted ${fmtNum(r.deleted)} job${r.deleted === 1 ? '' : 's'}.`));
      }
    } catch (e) {
      msg.replaceChildren(notice('error', `That failed: ${e.message}`));
    }
    load();
  }

  async function load() {
    try {
      if (!queue) {
        const r = await get('/v1/queues');
        if (stopped) return;
        const withDead = r.queues.filter((q) => q.counts.dead > 0);
        list.replaceChildren(withDead.length
          ? h('table', { class: 'dead-queues' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Queue'), h('th', { scope: 'col', class: 'num' }, 'Dead jobs'))),
            h('tbody', null, ...withDead.map((q) => h('tr', null,
              h('th', { scope: 'row' }, h('a', { href: `#/dead?queue=${encodeURIComponent(q.name)}` }, q.name)),
              h('td', { class: 'num' }, h('a', { href: `#/dead?queue=${encodeURIComponent(q.name)}` }, fmtNum(q.counts.dead)))))))
          : h('p', { class: 'muted' }, 'No dead jobs in any queue.'));
        return;
      }
      const [n, r] = await Promise.all([deadCount(queue).catch(() => null), get(`/v1/jobs${qs({ queue, state: 'dead', limit: 100 })}`)]);
      if (stopped) return;
      const actions = ctx.canAct && n ? h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'retry-dead', onclick: () => bulk('retry') }, `Retry all ${fmtNum(n)}`),
        h('button', { type: 'button', id: 'purge-dead', class: 'danger', onclick: () => bulk('purge') }, `Delete all ${fmtNum(n)}`)) : null;
      list.replaceChildren(
        h('p', null, n === null ? '' : `${fmtNum(n)} dead job${n === 1 ? '' : 's'} in queue ${queue}.`, ' ', h('a', { href: '#/dead' }, 'All queues')),
        actions ?? '',
        jobsTable(r.jobs),
        r.next_cursor ? h('p', null, h('a', { href: `#/jobs?queue=${encodeURIComponent(queue)}&state=dead` }, 'See all in the job browser →')) : '',
      );
    } catch (e) {
      if (!stopped) list.replaceChildren(notice('error', `Could not read the dead letters: ${e.message}`));
    }
  }
  load();
  return () => {
    stopped = true;
  };
}
