// Fills a server for bench/read-interference.sh and runs the readers beside a measurement.
//
//   node load.mjs fill URL QUEUED          QUEUED jobs in queue `big`, left queued
//   node load.mjs dead URL N               N more jobs in `dlq`, then every job of dlq made dead
//   node load.mjs disturb URL SECONDS      /readyz, GET /v1/jobs?tag=..., one retry-dead of dlq
//
// Node 18+ (the built-in fetch keeps connections alive). Every non-2xx answer stops the run:
// a figure taken beside failing requests would measure the wrong thing.
const [mode, url, a] = process.argv.slice(2);
// Which readers `disturb` runs (READERS=readyz,list,retry by default: all), to tell their
// shares of the interference apart.
const parts = (process.env.READERS || 'readyz,list,retry').split(',');
// PACE_MS > 0: each reader loop rests that long between calls (a load balancer's probe, a
// dashboard's refresh) instead of calling again at once (the default: as fast as answered).
const paceMs = Number(process.env.PACE_MS || 0);
const token = process.env.SPOOL_TOKEN;
const headers = { 'content-type': 'application/json' };
if (token) headers.authorization = `Bearer ${token}`;

async function call(method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300 && !(path === '/readyz' && res.status === 503)) {
    throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : null;
}

function job(queue, i, extra = {}) {
  return {
    type: 'bench.filler',
    queue,
    payload: { n: i, pad: 'x'.repeat(150) },
    tags: ['filler'],
    ...extra,
  };
}

// `total` jobs in batches of 100 over `connections` loops.
async function enqueueMany(queue, total, extra, connections = 16) {
  let next = 0;
  async function loop() {
    for (;;) {
      const start = next;
      if (start >= total) return;
      next = Math.min(total, start + 100);
      const jobs = [];
      for (let i = start; i < next; i++) jobs.push(job(queue, i, extra));
      await call('POST', '/v1/jobs/batch', { jobs });
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
}

// Reserves every job of `queue` and fails it permanently, so it is dead.
async function killAll(queue, connections = 8) {
  let dead = 0;
  async function loop() {
    for (;;) {
      const { jobs } = await call('POST', '/v1/reserve', { queues: [queue], max: 100 });
      if (jobs.length === 0) return;
      const fail = jobs.map((j) => ({
        id: j.id,
        lease: j.lease,
        error: { message: 'bench: made dead', kind: 'permanent' },
      }));
      await call('POST', '/v1/settle', { fail });
      dead += jobs.length;
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  return dead;
}

async function fill(queued) {
  const t = Date.now();
  await enqueueMany('big', queued, {});
  console.error(`load: ${queued} queued jobs in ${(Date.now() - t) / 1000} s`);
}

async function dead(more) {
  const t = Date.now();
  if (more > 0) await enqueueMany('dlq', more, { max_attempts: 1 });
  const n = await killAll('dlq');
  console.error(`load: ${n} jobs made dead in ${(Date.now() - t) / 1000} s`);
}

// Runs the readers for `seconds`: 20 loops of /readyz, 2 loops listing a tag no job has, and
// one retry-dead of dlq at the start (the ones READERS names; `healthz` is a control).
async function disturb(seconds) {
  const until = Date.now() + seconds * 1000;
  const counts = { readyz: 0, list: 0, healthz: 0 };
  async function loop(kind, path) {
    while (Date.now() < until) {
      await call('GET', path);
      counts[kind]++;
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
  }
  const t = Date.now();
  const on = (part) => parts.includes(part);
  const retried = !on('retry') ? null : call('POST', '/v1/queues/dlq/retry-dead', {}).then((r) => {
    counts.retry_dead_ms = Date.now() - t;
    counts.retried = r.retried;
  });
  await Promise.all([
    ...Array.from({ length: on('readyz') ? 20 : 0 }, () => loop('readyz', '/readyz')),
    ...Array.from({ length: on('list') ? 2 : 0 }, () => loop('list', '/v1/jobs?tag=nope&limit=50')),
    // The control: as many loops of /healthz, which reads nothing. Whatever it costs the writes is
    // the price of serving requests on the same cores, not of reading.
    ...Array.from({ length: on('healthz') ? 22 : 0 }, () => loop('healthz', '/healthz')),
    retried,
  ]);
  console.log(JSON.stringify(counts));
}

if (mode === 'fill') await fill(Number(a));
else if (mode === 'dead') await dead(Number(a));
else if (mode === 'disturb') await disturb(Number(a));
else throw new Error('usage: load.mjs fill URL QUEUED | dead URL N | disturb URL SECONDS');
