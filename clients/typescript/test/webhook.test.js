import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { Client, WebhookVerificationError, signWebhook, verifyWebhook } from '../dist/index.js';
import { Server, TOKEN, eventually } from './harness.js';

let server;
let client;
let receiver;
const deliveries = []; // {headers, body} as received
before(async () => {
  server = await new Server().start();
  client = new Client({ url: server.url, token: TOKEN });
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
});
after(async () => {
  await new Promise((r) => receiver?.close(r));
  await server?.stop();
});

const secretOf = () => `whsec_${randomBytes(32).toString('base64')}`;
const target = (path) => `http://127.0.0.1:${receiver.address().port}${path}`;

async function pushOne(queue, push, payload) {
  await client.patchQueue(queue, { push: { url: target(`/${queue}`), timeoutMs: 5000, ...push } });
  const { id } = await client.enqueue('notify', payload, { queue });
  const d = await eventually(() => deliveries.find((x) => x.url === `/${queue}`), 10000, `a push delivery to /${queue}`);
  await eventually(async () => (await client.getJob(id)).state === 'completed', 5000, 'the pushed job completing');
  return { id, d };
}

test('a push delivery signed by Spool verifies, as a Buffer, a string, and through a fetch Headers', { timeout: 20000 }, async () => {
  const secret = secretOf();
  const { id, d } = await pushOne('hooks', { secret }, { transactionId: 'esc-123', amount: 10000 });
  const v = await verifyWebhook(secret, d.headers, d.body);
  assert.equal(v.id, id);
  assert.equal(v.payload.id, id);
  assert.deepEqual(v.payload.payload, { transactionId: 'esc-123', amount: 10000 });
  assert.ok(Math.abs(v.timestamp - Date.now() / 1000) < 60);
  await verifyWebhook(secret, d.headers, d.body.toString('utf8'));
  const req = new Request('http://x/', { method: 'POST', headers: d.headers, body: d.body });
  await verifyWebhook(secret, req.headers, await req.text());
});

test('tampering, another secret, old or future timestamps are refused', { timeout: 20000 }, async () => {
  const secret = secretOf();
  const { d } = await pushOne('hooks2', { secret }, { amount: 10000 });
  const refused = async (s, h, b, opts, re) =>
    assert.rejects(verifyWebhook(s, h, b, opts), (e) => e instanceof WebhookVerificationError && re.test(e.message));
  const tampered = Buffer.from(d.body.toString().replace('10000', '99999'));
  await refused(secret, d.headers, tampered, undefined, /no signature matches/);
  await refused(secretOf(), d.headers, d.body, undefined, /no signature matches/);
  await refused(secret, { ...d.headers, 'webhook-id': 'other' }, d.body, undefined, /no signature matches/);
  const ts = Number(d.headers['webhook-timestamp']) * 1000;
  await refused(secret, d.headers, d.body, { now: ts + 301_000 }, /too old/);
  await refused(secret, d.headers, d.body, { now: ts - 301_000 }, /too new/);
  await verifyWebhook(secret, d.headers, d.body, { now: ts + 299_000 });
  const { 'webhook-signature': _s, ...noSig } = d.headers;
  await refused(secret, noSig, d.body, undefined, /missing header/);
  await refused(secret, { ...d.headers, 'webhook-signature': 'v2,abc' }, d.body, undefined, /no v1 signature/);
});

test('during a rotation Spool signs twice: either secret verifies; a receiver may hold two secrets', { timeout: 20000 }, async () => {
  const oldSecret = secretOf();
  const newSecret = secretOf();
  const { d } = await pushOne('hooks3', { secret: newSecret, previousSecret: oldSecret }, { n: 3 });
  assert.equal(d.headers['webhook-signature'].split(' ').length, 2);
  await verifyWebhook(oldSecret, d.headers, d.body);
  await verifyWebhook(newSecret, d.headers, d.body);
  // A receiver that rotates on its side: a list of secrets, any one may match.
  await verifyWebhook([secretOf(), oldSecret], d.headers, d.body);
  await assert.rejects(verifyWebhook([secretOf(), secretOf()], d.headers, d.body), WebhookVerificationError);
});

test('signWebhook signs as an independent HMAC does', { timeout: 5000 }, async () => {
  const key = randomBytes(24);
  const secret = `whsec_${key.toString('base64')}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = '{"job":1}';
  const h = await signWebhook(secret, 'msg_1', ts, body);
  const mac = createHmac('sha256', key).update(`msg_1.${ts}.${body}`).digest('base64');
  assert.equal(h['webhook-signature'], `v1,${mac}`);
  assert.deepEqual((await verifyWebhook(secret, h, body)).payload, { job: 1 });
  await assert.rejects(verifyWebhook('whsec_!!', h, body), TypeError);
});

test('handlePush: verified deliveries run the handler; its outcome becomes the job\'s fate', { timeout: 30000 }, async () => {
  const { handlePush, RetryError, PermanentError } = await import('../dist/index.js');
  const secret = secretOf();
  const seenBy = [];
  // A fetch-style route handler behind a Node http server, as Next.js would run it.
  const app = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const tamper = req.url === '/tamper';
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: 'POST', headers: req.headers, body: tamper ? Buffer.from(body.toString().replace('"n":1', '"n":2')) : body,
      });
      const response = await handlePush(request, { secret }, (d) => {
        seenBy.push(d);
        if (d.payload.mode === 'retry') throw new RetryError('partner busy', { retryAfterMs: 1500 });
        if (d.payload.mode === 'permanent') throw new PermanentError('unknown recipient');
        if (d.payload.mode === 'crash') throw new Error('bug');
        return { handled: d.id };
      });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
  await new Promise((r) => app.listen(0, '127.0.0.1', r));
  const url = (path) => `http://127.0.0.1:${app.address().port}${path}`;
  try {
    await client.patchQueue('hp', { push: { url: url('/ok'), secret, timeoutMs: 5000 }, backoff: { type: 'fixed', baseMs: 3600000, maxMs: 3600000, jitter: false } });
    await client.patchQueue('hp_tamper', { push: { url: url('/tamper'), secret, timeoutMs: 5000 } });
    const ok = await client.enqueue('notify', { mode: 'ok', n: 1 }, { queue: 'hp' });
    const retry = await client.enqueue('notify', { mode: 'retry' }, { queue: 'hp' });
    const perm = await client.enqueue('notify', { mode: 'permanent' }, { queue: 'hp' });
    const crash = await client.enqueue('notify', { mode: 'crash' }, { queue: 'hp' });
    const tampered = await client.enqueue('notify', { n: 1 }, { queue: 'hp_tamper' });
    const settled = (id, states) => eventually(async () => {
      const j = await client.getJob(id);
      return states.includes(j.state) ? j : null;
    }, 10000, `job ${id} in ${states}`);
    const jOk = await settled(ok.id, ['completed']);
    assert.deepEqual(jOk.result, { handled: ok.id });
    const d = seenBy.find((x) => x.id === ok.id);
    assert.equal(d.webhookId, ok.id);
    assert.equal(d.queue, 'hp');
    assert.equal(d.attempt, 1);
    assert.equal(d.maxAttempts, 3);
    const jRetry = await settled(retry.id, ['retrying']);
    assert.match(jRetry.lastError.message, /HTTP 425/);
    const wait = new Date(jRetry.runAt).getTime() - new Date(jRetry.lastError.at).getTime();
    assert.ok(wait >= 1500 && wait < 10000, `Retry-After 2 s decided the next run, not the 1 h backoff (${wait} ms)`);
    const jPerm = await settled(perm.id, ['dead']);
    assert.match(jPerm.lastError.message, /HTTP 422/);
    const jCrash = await settled(crash.id, ['retrying']);
    assert.match(jCrash.lastError.message, /HTTP 500/);
    const jT = await settled(tampered.id, ['dead']);
    assert.match(jT.lastError.message, /HTTP 401/);
    assert.ok(!seenBy.some((x) => x.id === tampered.id), 'the handler never saw the tampered delivery');
  } finally {
    await new Promise((r) => app.close(r));
  }
});
