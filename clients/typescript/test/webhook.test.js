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
