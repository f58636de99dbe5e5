import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, LeaseLostError, PermanentError, RetryError, ShutdownError, SnoozeError, SpoolError, Worker } from '../dist/index.js';
import { Server, TOKEN, eventually, faultProxy } from './harness.js';

let server;
let client;
before(async () => {
  server = await new Server().start();
  client = new Client({ url: server.url, token: TOKEN });
});
after(async () => server?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs a worker until `until()` holds, then closes it; returns what the events said.
async function work(options, until, { c = client, ms = 10000 } = {}) {
  const w = new Worker(c, { pollWaitMs: 1000, handleSignals: false, ...options });
  const events = { completed: [], failed: [], error: [] };
  w.on('completed', (job, result) => events.completed.push({ job, result }));
  w.on('failed', (job, error, settled) => events.failed.push({ job, error, settled }));
  w.on('error', (error, job) => events.error.push({ error, job }));
  const running = w.run();
  try {
    await eventually(() => until(events), ms, 'the worker outcome');
  } finally {
    await w.close();
    await running;
  }
  return { events, worker: w };
}

test('enqueue -> worker -> completed, with the result and a completed event', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('send_email', { to: 'ana@example.com' }, { queue: 'w1' });
  const { events } = await work(
    { queues: ['w1'], handlers: { send_email: async (job) => ({ sent: job.payload.to, attempt: job.attempt }) } },
    (e) => e.completed.length === 1,
  );
  assert.equal(events.completed[0].job.id, id);
  assert.deepEqual(events.completed[0].result, { sent: 'ana@example.com', attempt: 1 });
  const job = await client.getJob(id);
  assert.equal(job.state, 'completed');
  assert.deepEqual(job.result, { sent: 'ana@example.com', attempt: 1 });
  assert.equal(events.error.length, 0);
});

test('RetryError then success: the attempt is spent, retryAfterMs overrides the backoff', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('flaky', { n: 1 }, { queue: 'w2', backoff: { type: 'fixed', baseMs: 3600000, maxMs: 3600000, jitter: false } });
  const { events } = await work(
    {
      queues: ['w2'],
      handlers: {
        flaky: (job) => {
          if (job.attempt === 1) throw new RetryError('HTTP 503 from partner', { retryAfterMs: 50 });
          return 'ok';
        },
      },
    },
    (e) => e.completed.length === 1,
  );
  assert.equal(events.failed.length, 1);
  assert.equal(events.failed[0].settled.state, 'retrying');
  assert.ok(events.failed[0].error instanceof RetryError);
  const job = await client.getJob(id);
  assert.equal(job.state, 'completed');
  assert.equal(job.attempts, 2);
  assert.equal(job.errors[0].message, 'HTTP 503 from partner');
  assert.equal(job.errors[0].kind, 'retry');
});

test('PermanentError sends the job to dead; a plain error on the last attempt too', { timeout: 15000 }, async () => {
  const p = await client.enqueue('perm', {}, { queue: 'w3', maxAttempts: 5 });
  const q = await client.enqueue('boom', {}, { queue: 'w3', maxAttempts: 1 });
  const { events } = await work(
    {
      queues: ['w3'],
      handlers: {
        perm: () => { throw new PermanentError('auth refused'); },
        boom: async () => { throw new TypeError('undefined is not a function'); },
      },
    },
    (e) => e.failed.length === 2,
  );
  for (const f of events.failed) assert.equal(f.settled.state, 'dead');
  const pj = await client.getJob(p.id);
  assert.equal(pj.state, 'dead');
  assert.equal(pj.attempts, 1);
  assert.deepEqual([pj.lastError.message, pj.lastError.kind], ['auth refused', 'permanent']);
  const qj = await client.getJob(q.id);
  assert.equal(qj.state, 'dead');
  assert.equal(qj.lastError.message, 'undefined is not a function');
});

test('a type without a handler is retried with a message saying so', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('unknown_type', {}, { queue: 'w4', maxAttempts: 1 });
  await work({ queues: ['w4'], handlers: {} }, (e) => e.failed.length === 1);
  const job = await client.getJob(id);
  assert.equal(job.state, 'dead');
  assert.match(job.lastError.message, /no handler for job type unknown_type/);
});

test('concurrency caps handlers at once; outcomes are settled in batches over /v1/settle', { timeout: 30000 }, async (t) => {
  const proxy = await faultProxy(server.url, () => undefined);
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    const jobs = Array.from({ length: 40 }, (_, i) => ({ type: 'slow', payload: { i }, queue: 'w5' }));
    await client.enqueueBatch(jobs);
    let now = 0;
    let max = 0;
    const { events } = await work(
      {
        queues: ['w5'],
        concurrency: 5,
        handlers: {
          slow: async () => {
            max = Math.max(max, ++now);
            await sleep(30);
            now--;
          },
        },
      },
      (e) => e.completed.length === 40,
      { c },
    );
    assert.equal(max, 5);
    assert.equal(new Set(events.completed.map((x) => x.job.id)).size, 40);
    assert.equal(proxy.seen.filter((k) => k.endsWith('/ack')).length, 0, 'no per-job acks');
    const settles = proxy.seen.filter((k) => k === 'POST /v1/settle').length;
    assert.ok(settles > 0 && settles < 40, `40 outcomes in ${settles} settle requests`);
    const acked = proxy.settles.flatMap((b) => b.ack.map((a) => a.id));
    assert.equal(acked.length, 40, 'every outcome went out once, in a settle');
    assert.equal(new Set(acked).size, 40);
    assert.ok(proxy.settles.some((b) => b.ack.length > 1), 'some settle carried several outcomes');
    const withReserve = proxy.settles.filter((b) => b.reserve);
    const reserves = proxy.seen.filter((k) => k === 'POST /v1/reserve').length;
    t.diagnostic(`40 jobs: ${settles} settles (${withReserve.length} with reserve), ${reserves} plain reserves`);
    assert.ok(withReserve.length > 0, 'outcomes rode along with the request for the next jobs');
    for (const b of withReserve) {
      assert.deepEqual(b.reserve.queues, ['w5']);
      assert.ok(b.reserve.max >= 1 && b.reserve.max <= 5);
    }
    assert.equal((await client.getQueue('w5')).counts.completed, 40);
  } finally {
    await proxy.close();
  }
});

test('the lease is renewed while a handler runs longer than it, and progress is sent', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('long', {}, { queue: 'w6', leaseMs: 1000 });
  let lastProgress;
  await work(
    {
      queues: ['w6'],
      handlers: {
        long: async (job) => {
          assert.equal(job.leaseMs, 1000);
          for (let i = 1; i <= 4; i++) {
            await sleep(600);
            job.progress({ done: i, of: 4 });
          }
          await sleep(900); // a renewal (every 500 ms) carries the last progress
          lastProgress = (await client.getJob(id)).progress;
          assert.equal(job.signal.aborted, false);
        },
      },
    },
    (e) => e.completed.length === 1,
  );
  const job = await client.getJob(id);
  assert.equal(job.state, 'completed');
  assert.equal(job.attempts, 1);
  assert.deepEqual(job.errors, [], 'no lease expired on the way');
  assert.deepEqual(lastProgress, { done: 4, of: 4 });
});

test('a lease lost mid-handler aborts the handler, its outcome is not settled, a late ack is refused', { timeout: 20000 }, async () => {
  // The extends never get through (the connection drops): the worker keeps trying until the
  // lease has run out, then aborts the handler's signal.
  const proxy = await faultProxy(server.url, (req) => (req.url.endsWith('/extend') ? 'drop' : undefined));
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    const { id } = await client.enqueue('lose_me', {}, { queue: 'w7', leaseMs: 400, maxAttempts: 3 });
    let reason;
    let lease;
    let returned = false;
    const { events } = await work(
      {
        queues: ['w7'],
        handlers: {
          lose_me: async (job) => {
            if (job.attempt > 1) return 'second attempt';
            lease = job.lease;
            await new Promise((r) => job.signal.addEventListener('abort', r));
            reason = job.signal.reason;
            returned = true;
            return 'too late';
          },
        },
      },
      (e) => returned && e.error.length >= 1,
      { c },
    );
    assert.ok(reason instanceof LeaseLostError, String(reason));
    assert.ok(events.error.some((e) => e.error instanceof LeaseLostError && e.job?.id === id));
    assert.equal(events.completed.filter((x) => x.result === 'too late').length, 0);
    await sleep(100); // a settle of the late outcome, if the worker wrongly sent one, is answered by now
    assert.ok(!events.error.some((e) => /refused its/.test(e.error.message)), 'the late outcome was not sent');
    assert.ok(proxy.seen.filter((k) => k.endsWith('/extend')).length >= 2, 'extends were tried');
    // The server took the job back (lease_expired), and refuses the old lease.
    const job = await eventually(async () => {
      const j = await client.getJob(id);
      return j.errors.some((e) => e.kind === 'lease_expired') ? j : null;
    });
    // (It may be active again by now: this worker reserves its next attempt, which succeeds.)
    await assert.rejects(client.ack(id, lease, 'late'), (e) => e instanceof SpoolError && e.status === 409 && e.code === 'lease_lost');
  } finally {
    await proxy.close();
  }
});

// A handler that hangs while the worker renews its lease: the server ends the attempt at its
// timeoutMs (the lease is cut there), the next renewal is refused timed_out, and the signal fires.
test('a hung handler is aborted when its attempt reaches timeoutMs, which fails it as a timeout', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('hangs', {}, { queue: 'wto', leaseMs: 10000, timeoutMs: 600, maxAttempts: 1 });
  let reason;
  await work(
    {
      queues: ['wto'],
      handlers: {
        hangs: async (job) => {
          assert.equal(job.leaseMs, 600); // cut at the timeout
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
          reason = job.signal.reason;
        },
      },
    },
    () => reason !== undefined,
  );
  assert.ok(reason instanceof LeaseLostError, String(reason));
  const job = await client.getJob(id);
  assert.equal(job.timeoutMs, 600);
  assert.equal(job.state, 'dead');
  assert.equal(job.errors.at(-1).kind, 'timeout');
});

test('a renewal the server refuses (lease_lost) aborts the handler at once', { timeout: 15000 }, async () => {
  const proxy = await faultProxy(server.url, (req) =>
    req.url.endsWith('/extend') ? { status: 409, body: { error: { code: 'lease_lost', message: 'the lease is not the current one' } } } : undefined);
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    await client.enqueue('refused', {}, { queue: 'w8', leaseMs: 10000 });
    let reason;
    const t0 = Date.now();
    await work(
      {
        queues: ['w8'],
        handlers: {
          refused: async (job) => {
            await new Promise((r) => job.signal.addEventListener('abort', r));
            reason = job.signal.reason;
          },
        },
      },
      () => reason !== undefined,
      { c },
    );
    assert.ok(reason instanceof LeaseLostError);
    assert.match(reason.message, /lease_lost/);
    const took = Date.now() - t0;
    assert.ok(took >= 4500 && took < 8000, `aborted at the first renewal (half the lease), after ${took} ms`);
  } finally {
    await proxy.close();
  }
});

test('close() lets a running handler finish within the grace and settles it', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('finish_me', {}, { queue: 'w9' });
  const w = new Worker(client, { queues: ['w9'], pollWaitMs: 1000, handleSignals: false, shutdownGraceMs: 5000, handlers: {
    finish_me: async () => { started = true; await sleep(400); return 'finished'; },
  } });
  let started = false;
  const running = w.run();
  await eventually(() => started);
  const t0 = Date.now();
  await w.close();
  await running;
  assert.ok(Date.now() - t0 >= 300);
  const job = await client.getJob(id);
  assert.equal(job.state, 'completed');
  assert.equal(job.result, 'finished');
});

test('close() hands back jobs still running when the grace runs out (release: no attempt spent)', { timeout: 15000 }, async () => {
  const { id } = await client.enqueue('stuck', {}, { queue: 'w10' });
  let reason;
  let started = false;
  const w = new Worker(client, { queues: ['w10'], pollWaitMs: 1000, handleSignals: false, shutdownGraceMs: 200, handlers: {
    stuck: async (job) => {
      started = true;
      await new Promise((r) => job.signal.addEventListener('abort', r));
      reason = job.signal.reason;
      return 'not settled';
    },
  } });
  const running = w.run();
  await eventually(() => started);
  assert.equal((await client.getJob(id)).state, 'active');
  const t0 = Date.now();
  await w.close();
  await running;
  const took = Date.now() - t0;
  assert.ok(took >= 150 && took < 3000, `closed in ${took} ms`);
  assert.ok(reason instanceof ShutdownError);
  const job = await client.getJob(id);
  assert.equal(job.state, 'queued');
  assert.equal(job.attempts, 0);
});

test('close() of an idle worker returns at once, without waiting for the long poll', { timeout: 10000 }, async () => {
  const w = new Worker(client, { queues: ['idle_q'], pollWaitMs: 30000, handleSignals: false, handlers: {} });
  const running = w.run();
  await sleep(200);
  const t0 = Date.now();
  await w.close();
  await running;
  assert.ok(Date.now() - t0 < 1000);
  // The dropped waiter leased nothing: a job enqueued now stays queued.
  const { id } = await client.enqueue('after_close', {}, { queue: 'idle_q' });
  await sleep(100);
  assert.equal((await client.getJob(id)).state, 'queued');
});

test('while the server is away the worker says so once, backs off, and carries on when it is back', { timeout: 20000 }, async () => {
  let away = true;
  const proxy = await faultProxy(server.url, () => (away ? 'drop' : undefined));
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    const { id } = await client.enqueue('comeback', {}, { queue: 'w11' });
    const { events } = await work(
      { queues: ['w11'], handlers: { comeback: () => 'back' } },
      (e) => {
        if (away && proxy.seen.length >= 4) away = false;
        return e.completed.length === 1;
      },
      { c },
    );
    assert.equal(events.completed[0].job.id, id);
    assert.equal(events.error.length, 1, events.error.map((e) => e.error.message).join('\n'));
    assert.match(events.error[0].error.message, /cannot be reached/);
  } finally {
    await proxy.close();
  }
});

test('SIGTERM to a process running a worker hands its running job back and the process exits 0', { timeout: 20000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { id } = await client.enqueue('sigterm_me', {}, { queue: 'w12' });
  const script = `
    import { Client, Worker } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    const w = new Worker(new Client({ url: ${JSON.stringify(server.url)}, token: ${JSON.stringify(TOKEN)} }), {
      queues: ['w12'], shutdownGraceMs: 300, pollWaitMs: 1000,
      handlers: { sigterm_me: (job) => { console.log('started ' + job.id); return new Promise(() => {}); } },
    });
    await w.run();
    console.log('run returned');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  try {
    await eventually(() => out.includes(`started ${id}`), 10000, 'the child starting the job');
    child.kill('SIGTERM');
    const t0 = Date.now();
    const { code, signal } = await exited;
    assert.equal(signal, null, out);
    assert.equal(code, 0, out);
    assert.ok(Date.now() - t0 < 5000, `exited ${Date.now() - t0} ms after SIGTERM`);
    assert.match(out, /run returned/);
    const job = await client.getJob(id);
    assert.equal(job.state, 'queued');
    assert.equal(job.attempts, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('a refused reserve (a bad queue name) is reported once per distinct answer, and retried', { timeout: 15000 }, async () => {
  const proxy = await faultProxy(server.url, () => undefined);
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    const w = new Worker(c, { queues: ['bad name!'], pollWaitMs: 1000, handleSignals: false, handlers: {} });
    const errors = [];
    w.on('error', (e) => errors.push(e));
    const running = w.run();
    await eventually(() => proxy.seen.filter((k) => k === 'POST /v1/reserve').length >= 4, 10000, 'four reserve tries');
    await w.close();
    await running;
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assert.match(errors[0].message, /refused to hand out jobs/);
    assert.equal(errors[0].cause.status, 400);
  } finally {
    await proxy.close();
  }
});

test('SnoozeError runs the job again later without spending the attempt; fallback takes unknown types', { timeout: 15000 }, async () => {
  const a = await client.enqueue('snoozy', {}, { queue: 'w13', maxAttempts: 1 });
  const b = await client.enqueue('anything_else', { x: 1 }, { queue: 'w13' });
  const attempts = [];
  const { events } = await work(
    {
      queues: ['w13'],
      handlers: {
        snoozy: (job) => {
          attempts.push(job.attempt);
          if (attempts.length === 1) throw new SnoozeError(50, 'partner not ready');
          return 'done';
        },
      },
      fallback: (job) => `fallback ran ${job.type}`,
    },
    (e) => e.completed.length === 2,
  );
  assert.deepEqual(attempts, [1, 1], 'the snooze gave its attempt back');
  assert.equal(events.failed.length, 1);
  assert.ok(events.failed[0].error instanceof SnoozeError);
  const ja = await client.getJob(a.id);
  assert.equal(ja.state, 'completed', 'maxAttempts 1, yet it ran twice');
  assert.equal((await client.getJob(b.id)).result, 'fallback ran anything_else');
});
