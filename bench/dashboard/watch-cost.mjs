// What an open overview page costs `spool bench`, on the server's side (issue 7: "the server's
// summary queries that feed it do not slow `spool bench` by more than 5% while a dashboard is
// open"). No browser, so the browser's own CPU on these shared cores does not blur the figure:
// a node "page" makes exactly the requests the overview makes, with its pacing, by running the
// dashboard's own modules — ui/src/api.js (get, prefetch, and EventStream, which reads
// /v1/events and, past 200 events a second, closes it, ticks once a second and retries after
// 30 s) and ui/src/pages/overview.js's throttle — under the same schedule as main.js's start and
// renderOverview (a visible tab): /v1/queues and the summary prefetched beside /v1/whoami, the
// event stream, then on every event (or tick) /v1/queues at most every 300 ms and the summary
// at most every max(3 s, 20 x its last duration), both again every 30 s.
//
//   node bench/dashboard/watch-cost.mjs [--rounds 5] [--jobs 200000] [--backlog 0] [--queues 200]
//
// SPOOL_BINARY picks the server (default build/dev/src/spool). One `spool serve` (auth off,
// durability fast, log level warn) in a temp dir; with --backlog N it first gets N queued jobs
// over 200 queues that stay queued all through (the overview's summary then has a standing
// backlog to read). Then `rounds` pairs of `spool bench --workload e2e --jobs J --json`, each
// pair "off" (nothing watching) then "on" (the page open since just before the bench, its
// first summary read), the order alternating per pair. Prints each run (e2e jobs/s, drain
// jobs/s, server CPU µs per job from /proc/PID/stat, the page's requests) and the medians.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const spool = process.env.SPOOL_BINARY || join(root, 'build/dev/src/spool');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('rounds', 5);
const JOBS = opt('jobs', 200000);
const BACKLOG = opt('backlog', 0);
const QUEUES = opt('queues', 200);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server -------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'spool-watch-'));
const server = spawn(spool, ['serve', '--listen', '127.0.0.1:0', '--log-level', 'warn', '--data', dir],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/listening on (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`spool serve exited (${code})`)));
});
const cpuTicks = () => {
  const f = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
};
const TICK_HZ = 100; // getconf CLK_TCK on Linux

// ---- the dashboard's modules, in node ---------------------------------------------------------
// What they touch of a browser: fetch with relative paths, sessionStorage (the token: none here,
// auth is off), window's events (a 401 only), document.visibilityState (a visible tab).
const requests = new Map();
const realFetch = globalThis.fetch;
globalThis.fetch = (path, init) => {
  const key = String(path).split('?')[0];
  requests.set(key, (requests.get(key) || 0) + 1);
  return realFetch(new URL(path, base), init);
};
const store = new Map();
globalThis.sessionStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => store.set(k, String(v)),
  removeItem: (k) => store.delete(k),
};
globalThis.window = { dispatchEvent: () => {} };
globalThis.document = { visibilityState: 'visible' };
const { get, prefetch, EventStream } = await import('../../ui/src/api.js');
const { throttle } = await import('../../ui/src/pages/overview.js');

// main.js's start for #/, then renderOverview's timers (ui/src/pages/overview.js), minus the DOM.
async function openOverview() {
  const hours = 1;
  const summaryPath = `/v1/metrics/summary?hours=${hours}`;
  prefetch('/v1/queues');
  prefetch(summaryPath);
  await get('/v1/whoami');
  const stream = new EventStream();
  stream.start();
  let stopped = false;
  const summaryMs = [];
  let firstSummary;
  const firstDone = new Promise((r) => { firstSummary = r; });
  async function loadQueues() {
    try {
      await get('/v1/queues');
    } catch (e) {
      if (!stopped) console.warn(`queues: ${e.message}`);
    }
  }
  async function loadSummary() {
    try {
      const asked = performance.now();
      await get(summaryPath);
      const took = performance.now() - asked;
      summaryMs.push(took);
      summaryTimer.every(Math.max(3000, 20 * took));
    } catch (e) {
      if (!stopped) console.warn(`summary: ${e.message}`);
    }
    firstSummary();
  }
  const queuesTimer = throttle(loadQueues, 300);
  const summaryTimer = throttle(loadSummary, 3000);
  const off = stream.on(() => {
    queuesTimer.kick();
    summaryTimer.kick();
  });
  const periodic = setInterval(() => {
    summaryTimer.kick();
    queuesTimer.kick();
  }, 30000);
  loadQueues();
  loadSummary();
  await firstDone;
  return {
    summaryMs,
    close() {
      stopped = true;
      off();
      clearInterval(periodic);
      queuesTimer.cancel();
      summaryTimer.cancel();
      stream.stop();
    },
  };
}

// ---- the runs ---------------------------------------------------------------------------------
const run = promisify(execFile);
async function bench() {
  const { stdout } = await run(spool, ['bench', '--url', base, '--workload', 'e2e', '--jobs', String(JOBS), '--json'],
    { maxBuffer: 1 << 24 });
  const r = Object.fromEntries(JSON.parse(stdout).results.map((x) => [x.workload, x]));
  return { e2e: r.e2e.jobs_per_s, drain: r['e2e-drain'].jobs_per_s };
}

async function once(arm) {
  let page = null;
  requests.clear();
  if (arm === 'on') page = await openOverview();
  const c0 = cpuTicks();
  const r = await bench();
  const c1 = cpuTicks();
  if (page) {
    page.close();
    await sleep(200);
  }
  const row = {
    arm,
    e2e: Math.round(r.e2e),
    drain: Math.round(r.drain),
    cpu_us_per_job: +(((c1 - c0) / TICK_HZ) * 1e6 / JOBS).toFixed(1),
    requests: Object.fromEntries(requests),
    summary_ms: page ? page.summaryMs.map((x) => Math.round(x)) : [],
  };
  console.log(JSON.stringify(row));
  return row;
}

try {
  console.log(`nproc ${cpus().length}, ${cpus()[0].model}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ` +
    `server ${spool}, e2e --jobs ${JOBS}, standing backlog ${BACKLOG} over ${QUEUES} queues`);
  if (BACKLOG > 0) {
    const t0 = Date.now();
    let next = 0;
    const filler = async () => {
      while (next < BACKLOG) {
        const start = next;
        next += 1000;
        const jobs = [];
        for (let i = start; i < Math.min(BACKLOG, start + 1000); i++) {
          jobs.push({ type: 'standing', queue: `q${String(i % QUEUES).padStart(3, '0')}`, payload: { i } });
        }
        const res = await realFetch(`${base}/v1/jobs/batch`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jobs }),
        });
        if (!res.ok) throw new Error(`batch answered ${res.status}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all([filler(), filler(), filler(), filler()]);
    console.log(`standing backlog: ${BACKLOG} queued jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const rows = [];
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 ? ['on', 'off'] : ['off', 'on'];
    for (const arm of order) rows.push(await once(arm));
  }
  const med = (arm, k) => median(rows.filter((r) => r.arm === arm).map((r) => r[k]));
  for (const k of ['e2e', 'drain', 'cpu_us_per_job']) {
    const off = med('off', k);
    const on = med('on', k);
    console.log(`median ${k}: off ${off}, on ${on}, on/off ${(on / off).toFixed(3)}`);
  }
  console.log(`load after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => { server.kill('SIGKILL'); r(); }, 10000);
    server.on('exit', () => { clearTimeout(t); r(); });
  });
  rmSync(dir, { recursive: true, force: true });
}
