// The BullMQ side of bench/compare-bullmq.sh: the workloads of `spool bench`, done the way a BullMQ
// user would do them, with the same payloads and job counts, printing the same JSON shape as
// `spool bench --json` so the script can put both side by side.
//
//   node bench.mjs --port 6379 [--workload enqueue|batch|e2e|latency|all] [--jobs 200000]
//                  [--connections 50] [--batch 100] [--payload-bytes 200] [--rate 1000]
//                  [--duration 10s] [--workers 8] [--concurrency 100] [--json]
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

function parseArgs(argv) {
  const o = {
    host: '127.0.0.1', port: 6379, workload: 'all', jobs: 200000, connections: 50, batch: 100,
    payloadBytes: 200, rate: 1000, duration: 10000, workers: 8, concurrency: 100, json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--host': o.host = next(); break;
      case '--port': o.port = Number(next()); break;
      case '--workload': o.workload = next(); break;
      case '--jobs': o.jobs = Number(next()); break;
      case '--connections': o.connections = Number(next()); break;
      case '--batch': o.batch = Number(next()); break;
      case '--payload-bytes': o.payloadBytes = Number(next()); break;
      case '--rate': o.rate = Number(next()); break;
      case '--duration': o.duration = parseDuration(next()); break;
      case '--workers': o.workers = Number(next()); break;
      case '--concurrency': o.concurrency = Number(next()); break;
      case '--json': o.json = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

function parseDuration(s) {
  const m = /^([\d.]+)(ms|s|m)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  const v = Number(m[1]);
  return m[2] === 'ms' ? v : m[2] === 'm' ? v * 60000 : v * 1000;
}

// Same shape and size as spool bench's payloads (make_payload in src/cli/bench_client.cpp).
function payload(bytes, seq, extra = {}) {
  const p = { ...extra, transactionId: `esc-${seq}`, recipientEmail: `user${seq % 10000}@example.com`, pad: '' };
  const base = JSON.stringify(p).length;
  if (base < bytes) p.pad = 'x'.repeat(bytes - base);
  return p;
}

function percentiles(samples) {
  if (samples.length === 0) return { p50_ms: null, p99_ms: null, max_ms: null };
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50_ms: at(0.5), p99_ms: at(0.99), max_ms: s[s.length - 1] };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Progress {
  constructor(label, state) {
    this.start = performance.now();
    this.timer = setInterval(() => {
      const s = (performance.now() - this.start) / 1000;
      process.stderr.write(`bullmq bench: ${label} ${s.toFixed(1)}s ${state.done} jobs ` +
        `${Math.round(state.done / s)} jobs/s errors ${state.errors}\n`);
    }, 2000);
  }
  stop() { clearInterval(this.timer); }
}

function result(workload, jobs, ms, samples, state, note) {
  const seconds = ms / 1000;
  return {
    workload, jobs, seconds, jobs_per_s: seconds > 0 ? jobs / seconds : 0, ...percentiles(samples),
    errors: state.errors, ...(state.firstError ? { first_error: state.firstError } : {}), note,
  };
}

function recordError(state, e) {
  state.errors++;
  if (!state.firstError) state.firstError = String(e?.message ?? e);
}

function connection(o) {
  // maxRetriesPerRequest: null is what BullMQ asks of connections shared with a Worker.
  return new IORedis({ host: o.host, port: o.port, maxRetriesPerRequest: null });
}

// `connections` async loops, each with one add (or addBulk) in flight, over one ioredis
// connection, which pipelines them: how a Node producer shares one client across requests.
async function produce(o, queue, perRequest, totalJobs, label, state, samples) {
  const requests = Math.ceil(totalJobs / perRequest);
  let issued = 0;
  const bulk = (n, seq0) => Array.from({ length: n }, (_, i) => ({ name: 'bench', data: payload(o.payloadBytes, seq0 + i) }));
  const full = perRequest > 1 ? bulk(perRequest, 0) : null;
  const single = payload(o.payloadBytes, 1);
  const loop = async () => {
    while (issued < requests) {
      const ticket = issued++;
      const n = ticket + 1 === requests ? totalJobs - ticket * perRequest : perRequest;
      const t0 = performance.now();
      try {
        if (perRequest === 1) await queue.add('bench', single);
        else await queue.addBulk(n === perRequest ? full : bulk(n, 0));
        samples.push(performance.now() - t0);
        state.done += n;
      } catch (e) {
        recordError(state, e);
      }
    }
  };
  const p = new Progress(label, state);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(o.connections, requests) }, loop));
  const ms = performance.now() - t0;
  p.stop();
  return ms;
}

async function runEnqueue(o, q) {
  const conn = connection(o);
  const queue = new Queue(q, { connection: conn });
  await queue.waitUntilReady();
  const state = { done: 0, errors: 0 }; const samples = [];
  const ms = await produce(o, queue, 1, o.jobs, 'enqueue', state, samples);
  await queue.close(); conn.disconnect();
  return [result('enqueue', state.done, ms, samples, state, `queue.add, ${o.connections} in flight`)];
}

async function runBatch(o, q) {
  const conn = connection(o);
  const queue = new Queue(q, { connection: conn });
  await queue.waitUntilReady();
  const state = { done: 0, errors: 0 }; const samples = [];
  const ms = await produce(o, queue, o.batch, o.jobs, 'batch', state, samples);
  await queue.close(); conn.disconnect();
  return [result('batch', state.done, ms, samples, state, `queue.addBulk of ${o.batch}, ${o.connections} in flight`)];
}

async function runE2e(o, q) {
  const conn = connection(o);
  const queue = new Queue(q, { connection: conn });
  await queue.waitUntilReady();
  const fill = { done: 0, errors: 0 };
  const enqueueMs = await produce(o, queue, o.batch, o.jobs, 'e2e enqueue', fill, []);
  const state = { done: 0, errors: 0 };
  const want = fill.done;
  const p = new Progress('e2e drain', state);
  const t0 = performance.now();
  let finished;
  const allDone = new Promise((r) => { finished = r; });
  const worker = new Worker(q, async () => {}, { connection: connection(o), concurrency: o.concurrency, autorun: false });
  worker.on('completed', () => { if (++state.done >= want) finished(); });
  worker.on('failed', (_job, e) => recordError(state, e));
  worker.on('error', (e) => recordError(state, e));
  worker.run();
  await Promise.race([allDone, sleep(300000)]);
  const drainMs = performance.now() - t0;
  p.stop();
  await worker.close(true);
  await queue.close(); conn.disconnect();
  const total = result('e2e', Math.min(state.done, want), enqueueMs + drainMs, [], { errors: fill.errors + state.errors, firstError: fill.firstError ?? state.firstError },
    `addBulk ${o.jobs} in batches of ${o.batch}, then a Worker with concurrency ${o.concurrency} (no-op processor)`);
  const drain = result('e2e-drain', Math.min(state.done, want), drainMs, [], state, `Worker concurrency ${o.concurrency}`);
  return [total, drain];
}

async function runLatency(o, q) {
  const conn = connection(o);
  const queue = new Queue(q, { connection: conn });
  await queue.waitUntilReady();
  const state = { done: 0, errors: 0 }; const samples = [];
  // Idle workers parked on Redis' blocking pop, as many as spool bench's long-polling workers.
  const worker = new Worker(q, async (job) => {
    samples.push(performance.now() - job.data.sent);
    state.done++;
  }, { connection: connection(o), concurrency: o.workers, autorun: false });
  worker.on('error', (e) => recordError(state, e));
  worker.run();
  await worker.waitUntilReady();
  await sleep(300);
  const p = new Progress('latency', state);
  const interval = 1000 / o.rate;
  const start = performance.now();
  let sent = 0;
  const pending = [];
  // Open loop: each job goes out at its due time whether or not earlier adds have answered.
  for (let i = 0; ; i++) {
    const due = start + i * interval;
    if (due - start >= o.duration) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else if (wait > 0) await new Promise((r) => setImmediate(r));
    pending.push(queue.add('bench', payload(o.payloadBytes, i, { sent: performance.now() }))
      .then(() => { sent++; }, (e) => recordError(state, e)));
  }
  await Promise.all(pending);
  const giveUp = performance.now() + 5000;
  while (state.done < sent && performance.now() < giveUp) await sleep(10);
  p.stop();
  if (state.done < sent) recordError(state, `${sent - state.done} jobs never reached the worker within 5 s`);
  await worker.close(true);
  await queue.close(); conn.disconnect();
  return [result('latency', state.done, o.duration, samples, state,
    `queue.add at ${o.rate}/s, idle Worker concurrency ${o.workers}; add -> processor start`)];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const base = `bench-${randomBytes(4).toString('hex')}`;
  const todo = o.workload === 'all' ? ['enqueue', 'batch', 'e2e', 'latency'] : [o.workload];
  const runs = { enqueue: runEnqueue, batch: runBatch, e2e: runE2e, latency: runLatency };
  const results = [];
  for (const w of todo) {
    if (!runs[w]) throw new Error(`unknown workload ${w}`);
    results.push(...await runs[w](o, `${base}-${w}`));
  }
  if (o.json) {
    console.log(JSON.stringify({ redis: `${o.host}:${o.port}`, queue: base, payload_bytes: o.payloadBytes, results }));
  } else {
    for (const r of results) {
      console.log(`${r.workload.padEnd(12)} ${String(r.jobs).padStart(10)} ${r.seconds.toFixed(2).padStart(8)}s ` +
        `${Math.round(r.jobs_per_s).toString().padStart(9)} jobs/s  p50 ${r.p50_ms?.toFixed(3) ?? '-'}  ` +
        `p99 ${r.p99_ms?.toFixed(3) ?? '-'}  errors ${r.errors}`);
    }
  }
  process.exit(0);
}

main().catch((e) => { console.error(`bullmq bench: ${e.stack ?? e}`); process.exit(1); });
