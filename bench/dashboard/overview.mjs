// How fast the dashboard's overview renders with many queues and many jobs (issue 7's goal:
// under 300 ms with 200 queues and 1,000,000 jobs in the store), and what an open dashboard
// costs `spool bench`.
//   node bench/dashboard/overview.mjs [--jobs 1000000] [--queues 200] [--runs 7] [--bench-rounds 0]
// (SPOOL_BINARY picks the server, default build/dev/src/spool). Starts its own `spool serve` on
// a free loopback port in a temp dir, fills it over the public batch API (queue q000..q199,
// every job queued), then opens the overview in a fresh headless chromium context `runs` times
// and reads the time from navigation start to the moment the queues table and the summary are
// both on screen (window.__spoolOverviewRenderedMs, set by ui/src/pages/overview.js).
// With --bench-rounds N it then alternates N pairs of `spool bench --workload batch` runs
// without and with an overview page open, and prints the throughput of each.
import { execFileSync } from 'node:child_process';
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
  for (let r = 0; r < RUNS; r++) {
    const page = await openPage(browser, { tok: ADMIN });
    await page.goto(server.url);
    await page.locator('main[data-rendered="true"][data-summary="true"]').waitFor({ timeout: 30000 });
    const rows = await page.locator('#queues-table tbody tr').count();
    if (rows !== QUEUES) throw new Error(`the overview shows ${rows} queues, expected ${QUEUES}`);
    times.push(await page.evaluate(() => window.__spoolOverviewRenderedMs));
    summaryTimes.push(await page.evaluate(() => window.__spoolSummaryRenderedMs));
    await page.context().close();
  }
  const report = (what, xs) => console.log(`${what}, ${RUNS} runs: median ${median(xs).toFixed(0)} ms, ` +
    `min ${Math.min(...xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms [${xs.map((t) => t.toFixed(0)).join(', ')}]`);
  report('overview: navigation start to the queues table painted', times);
  report('overview: navigation start to the summary cards and chart painted', summaryTimes);

  if (BENCH_ROUNDS > 0) {
    const bench = () => {
      const out = execFileSync(spoolBinary, ['bench', '--url', server.url, '--token', ADMIN, '--workload', 'batch',
        '--duration', '10s', '--connections', '8', '--json'], { encoding: 'utf8' });
      const j = JSON.parse(out);
      const w = Array.isArray(j.workloads) ? j.workloads[0] : j.batch || j;
      return w.jobs_per_second ?? w.throughput ?? w;
    };
    const without = [];
    const withPage = [];
    for (let r = 0; r < BENCH_ROUNDS; r++) {
      without.push(bench());
      const page = await openPage(browser, { tok: ADMIN });
      await page.goto(server.url);
      await page.locator('#live[data-state="live"]').waitFor();
      withPage.push(bench());
      await page.context().close();
    }
    console.log(`spool bench batch without a dashboard: ${JSON.stringify(without)}`);
    console.log(`spool bench batch with the overview open: ${JSON.stringify(withPage)}`);
  }
  await browser.close();
} finally {
  await server.stop();
  server.cleanup();
}
