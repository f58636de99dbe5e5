import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, SpoolError } from '../dist/index.js';
import { Server, TOKEN, faultProxy } from './harness.js';

let server;
let client;
before(async () => {
  server = await new Server().start();
  client = new Client({ url: server.url, token: TOKEN });
});
after(async () => server?.stop());

test('enqueue maps camelCase options to the API fields and reads the job back', { timeout: 10000 }, async () => {
  const r = await client.enqueue('send_email', { to: 'ana@example.com', n: 10.5 }, {
    queue: 'mail', priority: 5, delayMs: 60000, maxAttempts: 7, leaseMs: 5000, tags: ['vip', 'eu'],
    backoff: { type: 'fixed', baseMs: 250, maxMs: 1000, jitter: false },
  });
  assert.equal(r.state, 'scheduled');
  assert.equal(r.deduplicated, false);
  const job = await client.getJob(r.id);
  assert.equal(job.type, 'send_email');
  assert.equal(job.queue, 'mail');
  assert.equal(job.priority, 5);
  assert.equal(job.maxAttempts, 7);
  assert.equal(job.leaseMs, 5000);
  assert.deepEqual(job.tags.sort(), ['eu', 'vip']);
  assert.deepEqual(job.backoff, { type: 'fixed', baseMs: 250, maxMs: 1000, jitter: false });
  assert.deepEqual(job.payload, { to: 'ana@example.com', n: 10.5 });
  assert.equal(job.attempts, 0);
  assert.ok(job.runAt > job.createdAt);
});

test('user JSON keeps its keys: payload snake_case and camelCase stay as given', { timeout: 10000 }, async () => {
  const payload = { user_id: 1, orgId: 2, nested: { first_name: 'a' } };
  const r = await client.enqueue('keys', payload);
  assert.deepEqual((await client.getJob(r.id)).payload, payload);
});

test('runAt takes a Date; unknown option names are a TypeError before any request', { timeout: 10000 }, async () => {
  const at = new Date(Date.now() + 3600_000);
  const r = await client.enqueue('later', {}, { runAt: at });
  assert.equal(r.state, 'scheduled');
  assert.equal(new Date((await client.getJob(r.id)).runAt).getTime(), Math.floor(at.getTime()));
  await assert.rejects(client.enqueue('x', {}, { dealyMs: 5 }), (e) => e instanceof TypeError && /dealyMs/.test(e.message));
});

test('dedupe: the second enqueue with the same key answers the first job', { timeout: 10000 }, async () => {
  const a = await client.enqueue('send_release_email', { t: 'esc-123' }, { dedupeKey: 'escrow-esc-123-release' });
  const b = await client.enqueue('send_release_email', { t: 'esc-123' }, { dedupeKey: 'escrow-esc-123-release' });
  assert.equal(a.deduplicated, false);
  assert.equal(b.deduplicated, true);
  assert.equal(b.id, a.id);
});

test('enqueueBatch answers each job in order, dedupe hits flagged', { timeout: 10000 }, async () => {
  const first = await client.enqueue('b', { i: 0 }, { dedupeKey: 'batch-0' });
  const rs = await client.enqueueBatch([
    { type: 'b', payload: { i: 0 }, dedupeKey: 'batch-0' },
    { type: 'b', payload: { i: 1 }, priority: 3 },
    { type: 'c', payload: null, delayMs: 1000 },
  ]);
  assert.equal(rs.length, 3);
  assert.deepEqual([rs[0].id, rs[0].deduplicated], [first.id, true]);
  assert.equal(rs[1].deduplicated, false);
  assert.equal(rs[2].state, 'scheduled');
  assert.equal((await client.getJob(rs[1].id)).priority, 3);
});

test('errors are SpoolErrors with the server code, status and field', { timeout: 10000 }, async () => {
  await assert.rejects(client.enqueue('x', {}, { maxAttempts: 0 }), (e) => {
    assert.ok(e instanceof SpoolError);
    assert.equal(e.status, 400);
    assert.equal(e.code, 'invalid_request');
    assert.equal(e.field, 'max_attempts');
    assert.match(e.message, /max_attempts/);
    assert.ok(e.requestId);
    return true;
  });
  await assert.rejects(client.enqueueBatch([{ type: 'ok', payload: 1 }, { type: 'bad name!', payload: 1 }]), (e) => e.status === 400 && e.field === 'jobs[1].type');
  await assert.rejects(client.getJob('nope'), (e) => e.status === 404 && e.code === 'not_found');
  const anon = new Client({ url: server.url, token: '' });
  await assert.rejects(anon.stats(), (e) => e.status === 401 && e.code === 'unauthorized');
});

test('listJobs iterates every page of 1000 jobs, asc and desc, and with a filter', { timeout: 60000 }, async () => {
  const ids = [];
  for (let b = 0; b < 2; b++) {
    const jobs = Array.from({ length: 500 }, (_, i) => ({ type: 'many', payload: { i: b * 500 + i }, queue: 'many', tags: [(b * 500 + i) % 10 === 0 ? 'tenth' : 'other'] }));
    for (const r of await client.enqueueBatch(jobs)) ids.push(r.id);
  }
  const seen = [];
  for await (const j of client.listJobs({ queue: 'many', state: 'queued', order: 'asc', limit: 73 })) seen.push(j.id);
  assert.deepEqual(seen, ids);
  const desc = [];
  for await (const j of client.listJobs({ type: 'many', limit: 500 })) desc.push(j.id);
  assert.deepEqual(desc, [...ids].reverse());
  let tenth = 0;
  for await (const j of client.listJobs({ tag: ['tenth'], limit: 7 })) {
    assert.equal(j.payload.i % 10, 0);
    tenth++;
  }
  assert.equal(tenth, 100);
});

test('listJobs follows short pages: dedupe_key scans a bounded walk and pages may be empty', { timeout: 60000 }, async () => {
  // dedupe_key has no index: pages examine at most 10,000 jobs, so with the target far behind a
  // pile of other jobs the first page comes back short (empty) with a cursor.
  const target = await client.enqueue('needle', { n: 1 }, { dedupeKey: 'needle-1' });
  for (let b = 0; b < 11; b++) {
    await client.enqueueBatch(Array.from({ length: 1000 }, (_, i) => ({ type: 'hay', payload: { i } })));
  }
  const page = await client.listJobsPage({ dedupeKey: 'needle-1' });
  assert.equal(page.jobs.length, 0, 'the first page should come back empty with a cursor');
  assert.ok(page.nextCursor);
  const found = [];
  for await (const j of client.listJobs({ dedupeKey: 'needle-1' })) found.push(j.id);
  assert.deepEqual(found, [target.id]);
});

test('cancel, retry, retryDead, and a 409 carries the state', { timeout: 10000 }, async () => {
  const r = await client.enqueue('cancel_me', {}, { delayMs: 60000 });
  assert.deepEqual(await client.cancel(r.id), { id: r.id, state: 'cancelled' });
  await assert.rejects(client.cancel(r.id), (e) => e.status === 409 && e.code === 'conflict' && e.state === 'cancelled');
  assert.deepEqual(await client.retry(r.id), { id: r.id, state: 'queued' });
  // Two dead jobs in queue "dlq", then retry-dead requeues them.
  for (let i = 0; i < 2; i++) await client.enqueue('dies', { i }, { queue: 'dlq', maxAttempts: 1 });
  const jobs = await client.reserve({ queues: ['dlq'], max: 2 });
  assert.equal(jobs.length, 2);
  for (const j of jobs) {
    const s = await client.fail(j.id, j.lease, { message: 'SMTP 550', kind: 'permanent' });
    assert.equal(s.state, 'dead');
  }
  assert.equal(await client.retryDead('dlq'), 2);
  assert.equal((await client.getQueue('dlq')).counts.queued, 2);
});

test('queues: patch with camelCase config, pause, resume, list, stats', { timeout: 10000 }, async () => {
  const q = await client.patchQueue('emails', { concurrency: 5, rateLimit: { limit: 50, perMs: 1000 }, maxAttempts: 3, retainDeadMs: 604800000 });
  assert.equal(q.name, 'emails');
  assert.equal(q.config.concurrency, 5);
  assert.deepEqual(q.config.rateLimit, { limit: 50, perMs: 1000 });
  assert.equal(q.config.retainDeadMs, 604800000);
  assert.equal((await client.pause('emails')).paused, true);
  assert.equal((await client.getQueue('emails')).paused, true);
  assert.equal((await client.resume('emails')).paused, false);
  assert.ok((await client.listQueues()).some((x) => x.name === 'emails'));
  await client.enqueue('stat_me', {}, { queue: 'Stat_Queue' });
  const s = await client.stats();
  assert.equal(s.queues.Stat_Queue.counts.queued, 1, 'queue names stay as they are');
  assert.ok(s.totals.counts.queued >= 1);
});

test('503 and network errors are retried for GETs and dedupe-keyed enqueues only', { timeout: 20000 }, async () => {
  let failNext = 0;
  let mode = 503;
  const proxy = await faultProxy(server.url, () => (failNext-- > 0 ? mode : undefined));
  try {
    const c = new Client({ url: proxy.url, token: TOKEN, retryBaseMs: 10, retryMaxMs: 50 });
    failNext = 2;
    const s = await c.stats();
    assert.ok(s.totals);
    assert.equal(proxy.seen.filter((k) => k === 'GET /v1/stats').length, 3);

    failNext = 2;
    const a = await c.enqueue('retry_safe', {}, { dedupeKey: 'retry-safe-1' });
    assert.equal(a.deduplicated, false);
    assert.equal(proxy.seen.filter((k) => k === 'POST /v1/jobs').length, 3);

    // Without a dedupe key: one try, the 503 goes to the caller.
    failNext = 1;
    proxy.seen.length = 0;
    await assert.rejects(c.enqueue('retry_unsafe', {}), (e) => e.status === 503 && e.code === 'unavailable' && e.transient);
    assert.equal(proxy.seen.length, 1);
    // Nor for a cancel (not idempotent in its answer).
    failNext = 1;
    proxy.seen.length = 0;
    await assert.rejects(c.cancel('whatever'), (e) => e.status === 503);
    assert.equal(proxy.seen.length, 1);

    // A dropped connection is a network error, retried for a GET, not for a plain enqueue.
    mode = 'drop';
    failNext = 1;
    proxy.seen.length = 0;
    assert.ok((await c.getQueue('emails')).name);
    assert.equal(proxy.seen.length, 2);
    failNext = 1;
    proxy.seen.length = 0;
    await assert.rejects(c.enqueue('retry_unsafe', {}), (e) => e instanceof SpoolError && e.code === 'network_error' && e.status === 0);
    assert.equal(proxy.seen.length, 1);

    // Retries give up after maxRetries.
    mode = 503;
    failNext = 100;
    proxy.seen.length = 0;
    const c2 = new Client({ url: proxy.url, token: TOKEN, retryBaseMs: 1, retryMaxMs: 5, maxRetries: 2 });
    await assert.rejects(c2.stats(), (e) => e.status === 503);
    assert.equal(proxy.seen.length, 3);
  } finally {
    await proxy.close();
  }
});

test('timeouts and caller signals abort a request', { timeout: 10000 }, async () => {
  // A long poll of 1 s with a 1 s timeout: the timeout counts on top of the wait...
  const c = new Client({ url: server.url, token: TOKEN, timeoutMs: 1000 });
  const t0 = Date.now();
  assert.deepEqual(await c.reserve({ queues: ['empty_q'], waitMs: 1000 }), []);
  assert.ok(Date.now() - t0 >= 900);
  // ...a server that does not answer is a 'timeout' SpoolError, not retried even for a GET...
  const proxy = await faultProxy(server.url, () => 'hang');
  try {
    const slow = new Client({ url: proxy.url, token: TOKEN, timeoutMs: 5000 });
    const t1 = Date.now();
    await assert.rejects(slow.stats({ timeoutMs: 200 }), (e) => e instanceof SpoolError && e.code === 'timeout' && e.status === 0);
    assert.ok(Date.now() - t1 < 2000);
    assert.equal(proxy.seen.length, 1);
  } finally {
    await proxy.close();
  }
  // ...and the caller's own signal rejects with its reason.
  const ac = new AbortController();
  const p = c.reserve({ queues: ['empty_q'], waitMs: 5000 }, { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('caller gave up')), 100);
  await assert.rejects(p, /caller gave up/);
});

test('SPOOL_URL and SPOOL_TOKEN are the defaults', { timeout: 10000 }, async () => {
  process.env.SPOOL_URL = server.url + '/';
  process.env.SPOOL_TOKEN = TOKEN;
  try {
    const c = new Client();
    assert.equal(c.url, server.url);
    assert.ok((await c.stats()).totals);
  } finally {
    delete process.env.SPOOL_URL;
    delete process.env.SPOOL_TOKEN;
  }
});

test('schedules: create, list, get with next runs, patch, trigger, delete', { timeout: 10000 }, async () => {
  const s = await client.createSchedule({
    name: 'daily_digest', cron: '0 8 * * *', timezone: 'Europe/Berlin',
    job: { type: 'send_digest', payload: { edition: 'daily', user_ids: [1] }, priority: 2 },
    misfire: 'skip',
  });
  assert.equal(s.name, 'daily_digest');
  assert.equal(s.cron, '0 8 * * *');
  assert.equal(s.everyMs, null);
  assert.equal(s.misfire, 'skip');
  assert.deepEqual(s.job.payload, { edition: 'daily', user_ids: [1] });
  assert.ok(s.nextRunAt);
  await assert.rejects(client.createSchedule({ name: 'daily_digest', everyMs: 60000, job: { type: 'x', payload: 1 } }), (e) => e.status === 409);
  await assert.rejects(client.createSchedule({ name: 'bad_tz', cron: '* * * * *', timezone: 'Mars/Olympus', job: { type: 'x', payload: 1 } }), (e) => e.status === 400 && e.field === 'timezone');
  assert.ok((await client.listSchedules()).some((x) => x.id === s.id));
  const got = await client.getSchedule(s.id);
  assert.equal(got.nextRuns.length, 5);
  const p = await client.patchSchedule(s.id, { everyMs: 3600000, paused: true });
  assert.equal(p.cron, null);
  assert.equal(p.everyMs, 3600000);
  assert.equal(p.paused, true);
  const t = await client.triggerSchedule(s.id);
  const job = await client.getJob(t.id);
  assert.equal(job.type, 'send_digest');
  assert.equal(job.priority, 2);
  assert.deepEqual(job.payload, { edition: 'daily', user_ids: [1] });
  await client.deleteSchedule(s.id);
  await assert.rejects(client.getSchedule(s.id), (e) => e.status === 404);
});

test('events: a job\'s life as it commits, resumed after an event id, errors before the stream', { timeout: 15000 }, async () => {
  let open;
  const opened = new Promise((r) => (open = r));
  const stream = client.events({ queue: 'ev1' }, { onOpen: open });
  const it = stream[Symbol.asyncIterator]();
  const first = it.next(); // starts the request
  await opened;
  const { id } = await client.enqueue('watch_me', { secret: 'not in events' }, { queue: 'ev1' });
  const [job] = await client.reserve({ queues: ['ev1'] });
  await client.extend(id, job.lease, { progress: { done: 1, of_total: 2 } });
  await client.ack(id, job.lease, { ok: true });
  const seen = [(await first).value];
  while (seen.at(-1).event !== 'completed') seen.push((await it.next()).value);
  await it.return();
  assert.deepEqual(seen.map((e) => e.event), ['enqueued', 'started', 'progress', 'completed']);
  for (const e of seen) {
    assert.equal(e.jobId, id);
    assert.equal(e.queue, 'ev1');
    assert.equal(typeof e.eventId, 'number');
    assert.equal(e.payload, undefined);
  }
  assert.deepEqual(seen[2].progress, { done: 1, of_total: 2 }, 'progress JSON keeps its keys');
  assert.equal(seen[3].state, 'completed');
  assert.ok(seen[3].runMs >= 0);

  // Resuming after "started" gives what followed, and nothing before.
  const resumed = [];
  for await (const e of client.events({ job: id }, { lastEventId: seen[1].eventId })) {
    resumed.push(e.event);
    if (e.event === 'completed') break;
  }
  assert.deepEqual(resumed, ['progress', 'completed']);

  await assert.rejects(async () => {
    for await (const _ of client.events({ queue: 'bad name!' })) break;
  }, (e) => e instanceof SpoolError && e.status === 400 && e.field === 'queue');

  // The signal ends a stream that is waiting for events.
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('done watching')), 200);
  await assert.rejects(async () => {
    for await (const _ of client.events({ queue: 'quiet' }, { signal: ac.signal })) break;
  }, /done watching/);
});

test('events: a dropped stream reconnects with Last-Event-ID and misses nothing', { timeout: 15000 }, async () => {
  const proxy = await faultProxy(server.url, () => undefined);
  try {
    const c = new Client({ url: proxy.url, token: TOKEN });
    let opens = 0;
    let open;
    let opened = new Promise((r) => (open = r));
    const it = c.events({ queue: 'ev2' }, { onOpen: () => { opens++; open(); } })[Symbol.asyncIterator]();
    const first = it.next();
    await opened;
    const a = await client.enqueue('e', { n: 1 }, { queue: 'ev2' });
    const e1 = (await first).value;
    assert.equal(e1.jobId, a.id);
    opened = new Promise((r) => (open = r));
    proxy.dropAll();
    // Enqueued while the client is away: the reconnect asks for what followed e1.
    const b = await client.enqueue('e', { n: 2 }, { queue: 'ev2' });
    const e2 = (await it.next()).value;
    await it.return();
    assert.equal(e2.jobId, b.id);
    assert.equal(e2.event, 'enqueued');
    assert.equal(opens, 2);
  } finally {
    await proxy.close();
  }
});
