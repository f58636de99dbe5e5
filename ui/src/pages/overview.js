// Overview: every queue with its live counts by state and whether it is paused; the last hour's
// (or day's) throughput, success rate, p95 processing time and oldest waiting job. Every number
// links to the jobs behind it. Live: job events schedule a re-read of /v1/queues (at most a few
// times a second) and of the summary (at most every few seconds).
import { get, qs } from '../api.js';
import { h, STATES, fmtNum, fmtPercent, fmtDuration, fmtAgo, jobsHref, notice } from '../dom.js';
import { minuteSeries, throughputChart, preloadChart } from '../chart.js';

export function renderOverview(main, ctx) {
  const hours = ctx.query.get('hours') === '24' ? 24 : 1;
  const status = h('div', { class: 'status-line' });
  const cards = h('div', { class: 'cards', id: 'summary' });
  const chartBox = h('div', { class: 'chart', id: 'throughput', role: 'img', 'aria-label': `Jobs enqueued, completed and failed per minute over the last ${hours === 1 ? 'hour' : 'day'}` });
  const tbody = h('tbody');
  const table = h('table', { class: 'queues', id: 'queues-table' },
    h('caption', { class: 'sr-only' }, 'Queues and their jobs by state'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Queue'),
      h('th', { scope: 'col' }, 'Status'),
      ...STATES.map((s) => h('th', { scope: 'col', class: 'num' }, h('span', { class: `dot s-${s}`, 'aria-hidden': 'true' }), s)),
    )),
    tbody,
  );
  const empty = h('p', { class: 'muted', hidden: true }, 'No queues yet: a queue appears with its first job (POST /v1/jobs) or its first PATCH.');
  main.append(
    h('div', { class: 'page-head' },
      h('h1', null, 'Overview'),
      h('div', { class: 'seg', role: 'group', 'aria-label': 'Window' },
        h('a', { href: '#/', 'aria-current': hours === 1 ? 'true' : null }, 'Last hour'),
        h('a', { href: '#/?hours=24', 'aria-current': hours === 24 ? 'true' : null }, 'Last day'))),
    status, cards,
    h('section', { 'aria-labelledby': 'tp-title' }, h('h2', { id: 'tp-title' }, 'Throughput per minute'), chartBox),
    h('section', { 'aria-labelledby': 'q-title' }, h('h2', { id: 'q-title' }, 'Queues'), h('div', { class: 'scroll' }, table), empty),
  );

  let stopped = false;
  let chart = null;
  let rows = new Map(); // queue name -> {tr, cells: {state: a}, status}
  let names = '';
  let firstQueues = false;
  let firstSummary = false;
  let summaryHere;
  const summaryArrived = new Promise((resolve) => {
    summaryHere = resolve;
  });
  let summaryDone;
  const summaryShown = Promise.race([
    new Promise((resolve) => {
      summaryDone = resolve;
    }),
    new Promise((resolve) => setTimeout(resolve, 1000)),
  ]);

  // Two moments, measured once each after the browser painted what was built
  // (bench/dashboard/overview.mjs reads them): the queues table on screen, and the summary too.
  // The table does not wait for the summary, whose backlog figures cost the server more.
  function markPainted(name) {
    afterPaint(() => {
      if (!window[name]) window[name] = performance.now();
      performance.mark(name);
      if (name === '__spoolOverviewRenderedMs') {
        main.dataset.rendered = 'true';
      } else {
        main.dataset.summary = 'true';
        summaryDone();
      }
    });
  }
  function markRendered() {
    if (firstQueues && !main.dataset.rendered) {
      main.dataset.rendered = 'pending';
      markPainted('__spoolOverviewRenderedMs');
    }
    if (firstSummary && !main.dataset.summary) {
      main.dataset.summary = 'pending';
      markPainted('__spoolSummaryRenderedMs');
    }
  }

  // A first render builds the rows a screen can show at once, and the rest right after that
  // frame is painted: laying out hundreds of rows at once held the first paint back by 100 ms
  // and more on a slow machine. The rest are built from the latest answer, so no update is lost.
  let latest = [];
  let generation = 0;
  function rowHtml(q) {
    const n = esc(q.name);
    const u = esc(encodeURIComponent(q.name));
    let html = `<tr data-queue="${n}"><th scope="row"><a href="#/queues/${u}" title="${n}">${n}</a></th><td></td>`;
    for (const st of STATES) {
      const href = st === 'dead' ? `#/dead?queue=${u}` : `#/jobs?queue=${u}&amp;state=${st}`;
      const c = q.counts[st] || 0;
      html += `<td class="num${c ? '' : ' zero'}" data-state="${st}"><a href="${href}" aria-label="${n}: ${st}">${esc(fmtNum(c))}</a></td>`;
    }
    return html + '</tr>';
  }
  // One innerHTML (or insertAdjacentHTML) per batch of rows: with hundreds of queues this is
  // several times faster than building each cell as a node. Every value is escaped (esc). The
  // first counts go into the same string, so updateCounts has nothing to write on a first render.
  function addRows(queues, from, to) {
    const html = queues.slice(from, to).map(rowHtml).join('');
    if (from === 0) tbody.innerHTML = html;
    else tbody.insertAdjacentHTML('beforeend', html);
    for (let i = from; i < Math.min(to, queues.length); i++) {
      const tr = tbody.rows[i];
      const links = tr.querySelectorAll('td.num a');
      const cells = {};
      const shown = {};
      STATES.forEach((st, k) => {
        cells[st] = links[k];
        shown[st] = fmtNum(queues[i].counts[st] || 0);
      });
      rows.set(queues[i].name, { tr, cells, shown, st: tr.cells[1], paused: null });
    }
  }
  function updateCounts(queues) {
    for (const q of queues) {
      const r = rows.get(q.name);
      if (!r) continue; // not built yet: built later from the latest answer
      for (const s of STATES) {
        const text = fmtNum(q.counts[s] || 0);
        if (r.shown[s] !== text) {
          r.shown[s] = text;
          r.cells[s].textContent = text;
          r.cells[s].parentElement.classList.toggle('zero', !q.counts[s]);
        }
      }
      if (r.paused !== q.paused) {
        r.paused = q.paused;
        r.st.innerHTML = q.paused ? '<span class="badge paused">paused</span>' : '<span class="muted">running</span>';
      }
    }
  }
  function renderQueues(queues) {
    latest = queues;
    const key = queues.map((q) => q.name).join('\n');
    if (key !== names) {
      names = key;
      rows = new Map();
      const gen = ++generation;
      addRows(queues, 0, FIRST_ROWS);
      if (queues.length > FIRST_ROWS) {
        main.dataset.allRows = 'pending';
        // After the summary is on screen (or a second at most): laying out the rest holds the
        // main thread, and the chart's first draw lays out the whole page.
        summaryShown.then(() => afterPaint(() => {
          if (stopped || gen !== generation) return;
          addRows(latest, FIRST_ROWS, latest.length);
          updateCounts(latest);
          afterPaint(() => {
            if (gen !== generation) return;
            if (!window.__spoolOverviewAllRowsMs) window.__spoolOverviewAllRowsMs = performance.now();
            main.dataset.allRows = 'true';
          });
        }));
      } else {
        main.dataset.allRows = 'true';
      }
    }
    updateCounts(queues);
    empty.hidden = queues.length > 0;
  }

  function card(label, value, href, title) {
    const v = href ? h('a', { href }, value) : value;
    return h('div', { class: 'card stat', title }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, v));
  }

  async function renderSummary(s) {
    const p = s.processing_ms || {};
    cards.replaceChildren(
      card('Enqueued', fmtNum(s.enqueued), jobsHref({})),
      card('Completed', fmtNum(s.completed), jobsHref({ state: 'completed' })),
      card('Failed attempts', fmtNum(s.failed), jobsHref({ state: 'retrying' })),
      card('Dead', fmtNum(s.dead), '#/dead'),
      card('Success rate', fmtPercent(s.success_rate), jobsHref({ state: 'completed' }), 'completed / (completed + dead)'),
      card('p95 processing', p.p95 === null || p.p95 === undefined ? '–' : fmtDuration(p.p95), jobsHref({ state: 'completed' })),
      card('Oldest waiting', s.oldest_queued_at ? fmtAgo(s.oldest_queued_at) : 'none', jobsHref({ state: 'queued', order: 'asc' })),
      card('Overdue', fmtNum(s.overdue), jobsHref({ state: 'queued', order: 'asc' }), `queued jobs due more than ${fmtDuration(s.overdue_threshold_ms)} ago`),
    );
    const data = minuteSeries(s.series, hours);
    if (chart) {
      chart.set(data);
    } else {
      const c = await throughputChart(chartBox, data);
      if (stopped || chart) c.destroy();
      else chart = c;
    }
  }

  async function loadQueues() {
    try {
      const r = await get('/v1/queues');
      // The first table waits a moment for the first summary, so both are laid out and painted
      // in one frame: each layout of the page costs tens of ms on a slow machine.
      if (!firstQueues) await Promise.race([summaryArrived, new Promise((ok) => setTimeout(ok, 100))]);
      if (stopped) return;
      const t = performance.now();
      renderQueues(r.queues);
      performance.measure('spool-render-queues', { start: t });
      status.replaceChildren();
      firstQueues = true;
      markRendered();
    } catch (e) {
      if (!stopped) status.replaceChildren(notice('error', `Could not read the queues: ${e.message}`));
    }
  }
  async function loadSummary() {
    try {
      const asked = performance.now();
      const s = await get(`/v1/metrics/summary${qs({ hours })}`);
      summaryHere();
      if (stopped) return;
      // The summary's backlog figures are read on the server's writer thread: keep an open
      // dashboard's share of it near 5% by waiting at least 20 times what the last one took.
      summaryTimer.every(Math.max(3000, 20 * (performance.now() - asked)));
      const t = performance.now();
      await renderSummary(s);
      performance.measure('spool-render-summary', { start: t });
      firstSummary = true;
      markRendered();
    } catch (e) {
      summaryHere();
      if (!stopped) {
        cards.replaceChildren(notice('error', `Could not read the summary: ${e.message}`));
        firstSummary = true;
        summaryDone();
      }
    }
  }

  const queuesTimer = throttle(loadQueues, 300);
  const summaryTimer = throttle(loadSummary, 3000);
  const visible = () => document.visibilityState !== 'hidden';
  const off = ctx.stream.on(() => {
    if (!visible()) return;
    queuesTimer.kick();
    summaryTimer.kick();
  });
  const periodic = setInterval(() => {
    if (!visible()) return;
    summaryTimer.kick();
    queuesTimer.kick();
  }, 30000);
  const onVisible = () => {
    if (visible()) {
      queuesTimer.kick();
      summaryTimer.kick();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  loadQueues();
  loadSummary();
  // The chart library is fetched while the first answers are awaited, not after the summary's.
  preloadChart();
  return () => {
    stopped = true;
    off();
    document.removeEventListener('visibilitychange', onVisible);
    clearInterval(periodic);
    queuesTimer.cancel();
    summaryTimer.cancel();
    if (chart) chart.destroy();
  };
}

// Rows a screen shows at once, with room (a phone shows ~12, a tall monitor ~40).
const FIRST_ROWS = 50;

// Runs fn once the browser has painted what is built now (a task after the next frame).
function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Runs fn at most once per `ms`, and once more after a burst, never two at a time.
export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        kick();
      }
    }
  };
  const kick = () => {
    if (timer) return;
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  return {
    kick,
    every: (newMs) => {
      ms = newMs;
    },
    cancel: () => timer && clearTimeout(timer),
  };
}
