// Between TypeScript's camelCase and the API's snake_case. The JSON a user gave (payloads,
// results, progress, push headers) is passed through untouched, whatever its keys.

import type { Backoff, EnqueueOptions } from './types.js';

/** Keys whose values are user JSON: never renamed, in either direction. */
const USER_JSON = new Set(['payload', 'result', 'progress', 'headers']);

const camelKey = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snakeKey = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function rename(value: unknown, key: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rename(v, key));
  if (value === null || typeof value !== 'object' || value instanceof Date) {
    return value instanceof Date ? value.toISOString() : value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const name = key(k);
    out[name] = USER_JSON.has(name) ? v : rename(v, key);
  }
  return out;
}

/** An answer of the server, camelCased (user JSON kept as it came). */
export const fromWire = <T>(value: unknown): T => rename(value, camelKey) as T;
/** A request body, snake_cased (user JSON kept as given). */
export const toWire = (value: unknown): unknown => rename(value, snakeKey);

const ENQUEUE_FIELDS: Record<keyof EnqueueOptions, string> = {
  queue: 'queue',
  priority: 'priority',
  delayMs: 'delay_ms',
  runAt: 'run_at',
  dedupeKey: 'dedupe_key',
  dedupeWindowMs: 'dedupe_window_ms',
  maxAttempts: 'max_attempts',
  backoff: 'backoff',
  leaseMs: 'lease_ms',
  timeoutMs: 'timeout_ms',
  tags: 'tags',
  callbackUrl: 'callback_url',
};

const BACKOFF_FIELDS: Record<keyof Backoff, string> = {
  type: 'type',
  baseMs: 'base_ms',
  maxMs: 'max_ms',
  jitter: 'jitter',
};

function mapFields(
  what: string,
  given: Record<string, unknown>,
  fields: Record<string, string>,
  skip: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || skip.includes(k)) continue;
    const name = fields[k];
    if (name === undefined) {
      throw new TypeError(
        `${JSON.stringify(k)} is not ${what}; the known ones are ${Object.keys(fields).join(', ')}`,
      );
    }
    out[name] = v;
  }
  return out;
}

/** One job of POST /v1/jobs or /v1/jobs/batch. Unknown option names are a TypeError. */
export function encodeJob(
  type: string,
  payload: unknown,
  options: EnqueueOptions | undefined,
  skip: readonly string[] = [],
): Record<string, unknown> {
  const body: Record<string, unknown> = { type, payload: payload === undefined ? null : payload };
  if (!options) return body;
  Object.assign(
    body,
    mapFields('an enqueue option', options as Record<string, unknown>, ENQUEUE_FIELDS, skip),
  );
  if (body.run_at instanceof Date) body.run_at = body.run_at.toISOString();
  if (options.backoff) {
    body.backoff = mapFields(
      'a backoff field',
      options.backoff as Record<string, unknown>,
      BACKOFF_FIELDS,
    );
  }
  return body;
}
