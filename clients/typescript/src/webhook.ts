// verifyWebhook: checks a push delivery (or completion callback) signed by Spool per Standard
// Webhooks (docs/push.md): webhook-signature holds one or more space-separated "v1,<base64 of
// HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")>" (two during a rotation on
// the sender's side). It uses WebCrypto only, so it runs in Node 18+ (node:crypto's webcrypto),
// edge runtimes, Deno and Bun. The comparison is WebCrypto's HMAC verify, not string equality.

import type { webcrypto } from 'node:crypto';

import { WebhookVerificationError } from './errors.js';

export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Seconds a timestamp may be off from now, either way. Default 300. */
  toleranceSeconds?: number;
  /** The time to check against, in ms since the epoch (tests). Default Date.now(). */
  now?: number;
}

export interface VerifiedWebhook<P = unknown> {
  /** webhook-id: the job id for a push, `<job id>:<finished_at ms>` for a callback. */
  id: string;
  /** webhook-timestamp, Unix seconds. */
  timestamp: number;
  /** The body, parsed. */
  payload: P;
}

type Subtle = webcrypto.SubtleCrypto;

let subtlePromise: Promise<Subtle> | undefined;
function subtle(): Promise<Subtle> {
  subtlePromise ??= (async () => {
    const c = (globalThis as { crypto?: { subtle?: Subtle } }).crypto;
    if (c?.subtle) return c.subtle;
    // Node 18 has WebCrypto in node:crypto but not as a global.
    const m = (await import('node:crypto')) as unknown as { webcrypto: { subtle: Subtle } };
    return m.webcrypto.subtle;
  })();
  return subtlePromise;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  for (const [k, v] of Object.entries(rec)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(' ') : v;
  }
  return undefined;
}

function base64ToBytes(b64: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) return undefined;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function secretKey(secret: string): Uint8Array {
  const b64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = base64ToBytes(b64);
  if (!key || key.length === 0) {
    throw new TypeError('the webhook secret must be "whsec_" followed by the base64 of the key');
  }
  return key;
}

/**
 * Verifies one delivery. `secret` is the queue's push secret (`whsec_...`), or several during a
 * rotation on your side (any one may match). `rawBody` must be the bytes as received, before any
 * JSON parsing. Resolves to the id, timestamp and parsed body; rejects with a
 * WebhookVerificationError saying what was wrong.
 */
export async function verifyWebhook<P = unknown>(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<VerifiedWebhook<P>> {
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0) throw new TypeError('no webhook secret given');
  const keys = secrets.map(secretKey);
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sigs = header(headers, 'webhook-signature');
  if (!id || !ts || !sigs) {
    throw new WebhookVerificationError('missing header: webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,15}$/.test(ts)) throw new WebhookVerificationError(`webhook-timestamp is not Unix seconds: ${JSON.stringify(ts)}`);
  const timestamp = Number(ts);
  const tolerance = options.toleranceSeconds ?? 300;
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  if (timestamp < nowS - tolerance) {
    throw new WebhookVerificationError(`timestamp too old: ${nowS - timestamp} s ago, the tolerance is ${tolerance} s`);
  }
  if (timestamp > nowS + tolerance) {
    throw new WebhookVerificationError(`timestamp too new: ${timestamp - nowS} s ahead, the tolerance is ${tolerance} s`);
  }
  const body =
    typeof rawBody === 'string'
      ? new TextEncoder().encode(rawBody)
      : rawBody instanceof Uint8Array
        ? rawBody
        : new Uint8Array(rawBody);
  const prefix = new TextEncoder().encode(`${id}.${ts}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix, 0);
  signed.set(body, prefix.length);

  const candidates: Uint8Array[] = [];
  for (const part of sigs.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const mac = base64ToBytes(part.slice(comma + 1));
    if (mac && mac.length === 32) candidates.push(mac);
  }
  if (candidates.length === 0) throw new WebhookVerificationError('webhook-signature has no v1 signature');
  const s = await subtle();
  for (const raw of keys) {
    const key = await s.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    for (const mac of candidates) {
      if (await s.verify('HMAC', key, mac, signed)) {
        const text = new TextDecoder().decode(body);
        let payload: P;
        try {
          payload = (text === '' ? null : JSON.parse(text)) as P;
        } catch {
          throw new WebhookVerificationError('the signature matches but the body is not JSON');
        }
        return { id, timestamp, payload };
      }
    }
  }
  throw new WebhookVerificationError('no signature matches the body with the given secret(s)');
}

/** Signs like Spool does: for tests of your own receivers. Returns the three headers. */
export async function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  rawBody: string,
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const s = await subtle();
  const key = await s.importKey('raw', secretKey(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await s.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestampSeconds}.${rawBody}`)));
  let bin = '';
  for (const b of mac) bin += String.fromCharCode(b);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${btoa(bin)}`,
  };
}
