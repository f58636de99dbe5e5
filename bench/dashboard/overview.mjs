// How fast the dashboard's overview renders with many queues and many jobs (issue 7's goal:
// under 300 ms with 200 queues and 1,000,000 jobs in the store), and what an open dashboard
// costs `spool bench`.
//   node bench/dashboard/overview.mjs [--jobs 1000000] [--queues 200] [--runs 7] [--bench-rounds 0]
// (SPOOL_BINARY picks the server, default build/dev/src/spool). Starts its own `spool serve` on
// a free loopback port in a temp dir, fills it over the public batch API (queue q000..q199,
// every job queued), then opens the overview in a fresh headless chromium context `runs` times
// and reads the time from navigation start to the moment the queues table and the summary are
// both on screen (window.__spoolOverviewRenderedMs, set by ui/src/pages/overview.js).
// It then waits until about half the jobs are overdue and times the summary again (the backlog
// count's costliest case). With --bench-rounds N it then alternates N pairs of `spool bench --workload e2e --jobs 30000` runs
// without and with an overview page open, and prints the throughput of each.
import { execFileSync, spawn } from 'node:child_process';
import { Server, launchBrowser, openPage, ADMIN, spoolBinary } from '../../test/e2e/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const JOBS = opt('jobs', 1000000);
const QUEUES = opt('queues', 200);
const RUNS = opt('runs', 7);
const BENCH_ROUNDS = opt('bench-rounds', 0);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await new Server().start();
try {
  const t0 = Date.now();
  const batch = 1000;
  let next = 0;
  async function filler() {
    for (;;) {
      const start = next;
      if (start >= JOBS) return;
      next += batch;
      const jobs = [];
      for (let i = start; i < Math.min(JOBS, start + batch); i++) {
        jobs.push({ type: 'bench_job', queue: `q${String(i % QUEUES).padStart(3, '0')}`, payload: { i } });
      }
      await server.ok('POST', '/v1/jobs/batch', { jobs });
    }
  }
  await Promise.all([filler(), filler(), filler(), filler()]);
  const fillS = (Date.now() - t0) / 1000;
  const stats = await server.ok('GET', '/v1/stats');
  console.log(`filled ${stats.totals.counts.queued} jobs in ${Object.keys(stats.queues).length} queues in ${fillS.toFixed(1)} s`);

  const timeApi = async (path) => {
    const xs = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await server.ok('GET', path);
      xs.push(performance.now() - s);
    }
    return median(xs);
  };
  console.log(`GET /v1/queues: median ${(await timeApi('/v1/queues')).toFixed(1)} ms`);
  console.log(`GET /v1/metrics/summary?hours=1: median ${(await timeApi('/v1/metrics/summary?hours=1')).toFixed(1)} ms`);

  const browser = await launchBrowser();
  const times = [];
  const summaryTimes = [];
  const allRowsTimes = [];
  for (let r = 0; r < RUNS; r++) {
    const page = await openPage(browser, { tok: ADMIN });
    await page.goto(server.url);
    await page.locator('main[data-rendered="true"][data-summary="true"][data-all-rows="true"]').waitFor({ timeout: 30000 });
    const rows = await page.locator('#queues-table tbody tr').count();
    if (rows !== QUEUES) throw new Error(`the overview shows ${rows} queues, expected ${QUEUES}`);
    times.push(await page.evaluate(() => window.__spoolOverviewRenderedMs));
    summaryTimes.push(await page.evaluate(() => window.__spoolSummaryRenderedMs));
    allRowsTimes.push(await page.evaluate(() => window.__spoolOverviewAllRowsMs));
    await page.context().close();
  }
  const report = (what, xs) => console.log(`${what}, ${RUNS} runs: median ${median(xs).toFixed(0)} ms, ` +
    `min ${Math.min(...xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms [${xs.map((t) => t.toFixed(0)).join(', ')}]`);
  report('overview: navigation start to the queues table painted (its first 50 rows)', times);
  report('overview: navigation start to the summary cards and chart painted', summaryTimes);
  report(`overview: navigation start to all ${QUEUES} rows painted`, allRowsTimes);

  // The summary's costliest moment for the backlog count: about half of every queue overdue
  // (queued more than the default overdue_ms = 60 s ago), so neither side of the instant is
  // small. Wait for it, then time the summary again.
  const halfOverdueAt = t0 + 60000 + (fillS * 1000) / 2;
  if (Date.now() < halfOverdueAt) await new Promise((r) => setTimeout(r, halfOverdueAt - Date.now()));
  const split = await server.ok('GET', '/v1/metrics/summary?hours=1');
  console.log(`with ${split.overdue} of ${split.by_state.queued} queued jobs overdue: ` +
    `GET /v1/metrics/summary?hours=1: median ${(await timeApi('/v1/metrics/summary?hours=1')).toFixed(1)} ms`);

  if (BENCH_ROUNDS > 0) {
    const bench = () => {
      const out = execFileSync(spoolBinary, ['bench', '--url', server.url, '--token', ADMIN, '--workload', 'e2e',
        '--jobs', '30000', '--json'], { encoding: 'utf8' });
      return JSON.parse(out).results[0].jobs_per_s;
    };
    // Three arms, interleaved: nothing watching; the overview open in chromium (on the same two
    // cores, so its own CPU counts against the server here, unlike a browser on a laptop); and a
    // bare `curl -N /v1/events` reading every event, the server's share of a dashboard's stream.
    const without = [];
    const withPage = [];
    const withCurl = [];
    const withPageState = [];
    for (let r = 0; r < BENCH_ROUNDS; r++) {
      without.push(bench());
      const page = await openPage(browser, { tok: ADMIN });
      await page.goto(server.url);
      // Its first summary must be done: the bench measures an open dashboard, not its loading.
      await page.locator('#live[data-state="live"]').waitFor();
      await page.locator('main[data-summary="true"]').waitFor({ timeout: 30000 });
      withPage.push(bench());
      withPageState.push(await page.locator('#live').getAttribute('data-state'));
      await page.context().close();
      const curl = spawn('curl', ['-sN', '-H', `Authorization: Bearer ${ADMIN}`, `${server.url}/v1/events`], { stdio: ['ignore', 'ignore', 'ignore'] });
      await new Promise((r2) => setTimeout(r2, 300));
      withCurl.push(bench());
      curl.kill();
    }
    console.log(`spool bench e2e jobs/s, nothing watching: ${JSON.stringify(without)}, median ${median(without)}`);
    console.log(`spool bench e2e jobs/s, the overview open: ${JSON.stringify(withPage)}, median ${median(withPage)} (stream state after: ${withPageState.join(', ')})`);
    console.log(`spool bench e2e jobs/s, curl reading /v1/events: ${JSON.stringify(withCurl)}, median ${median(withCurl)}`);
  }
  await browser.close();
} finally {
  await server.stop();
  server.cleanup();
}
