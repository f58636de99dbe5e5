// handlePush: a push receiver in one call, for fetch-style route handlers (Next.js App Router,
// edge runtimes, Deno, Bun): verifies the delivery, runs the handler, and answers with the status
// that tells Spool's pusher what happened to the job (docs/push.md, "The answer").

import { PermanentError, RetryError, SnoozeError, WebhookVerificationError } from './errors.js';
import { fromWire } from './wire.js';
import { verifyWebhook, type VerifyWebhookOptions } from './webhook.js';

/** The body of a push delivery, camelCased (the payload as given). */
export interface PushDelivery<P = unknown, K extends string = string> {
  id: string;
  type: K;
  queue: string;
  attempt: number;
  maxAttempts: number;
  payload: P;
  createdAt: string;
  /** webhook-id: the job id, the same on every attempt. Deduplicate on it. */
  webhookId: string;
  /** webhook-timestamp, Unix seconds. */
  timestamp: number;
}

export interface HandlePushOptions extends VerifyWebhookOptions {
  /** The queue's push secret (`whsec_...`), or several while you rotate. */
  secret: string | readonly string[];
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/**
 * Answers one push delivery:
 * - a signature that does not verify: 401 (the job goes dead: check the secret);
 * - the handler returns: 200 with its value as the job's result (204 when undefined), or the
 *   Response it returned, as it is;
 * - RetryError or SnoozeError: 425 with Retry-After (whole seconds, rounded up) when it says
 *   when: retried with an attempt spent, without counting against the endpoint's breaker;
 * - PermanentError: 422 (dead);
 * - any other error: 500 (retried, and counted by the breaker as the endpoint failing).
 */
export async function handlePush<P = unknown>(
  request: Request,
  options: HandlePushOptions,
  handler: (delivery: PushDelivery<P>) => unknown,
): Promise<Response> {
  const raw = new Uint8Array(await request.arrayBuffer());
  let verified;
  try {
    verified = await verifyWebhook<Record<string, unknown>>(options.secret, request.headers, raw, options);
  } catch (e) {
    if (e instanceof WebhookVerificationError) {
      return json(401, { error: { code: 'invalid_signature', message: e.message } });
    }
    throw e;
  }
  const body = fromWire<Omit<PushDelivery<P>, 'webhookId' | 'timestamp'>>(verified.payload);
  const delivery: PushDelivery<P> = { ...body, webhookId: verified.id, timestamp: verified.timestamp };
  try {
    const result = await handler(delivery);
    if (result instanceof Response) return result;
    return result === undefined ? new Response(null, { status: 204 }) : json(200, result);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof RetryError || e instanceof SnoozeError) {
      const ms = e instanceof RetryError ? e.retryAfterMs : e.afterMs;
      const headers: Record<string, string> = ms === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
      return json(425, { error: { code: 'retry', message } }, headers);
    }
    if (e instanceof PermanentError) return json(422, { error: { code: 'permanent', message } });
    return json(500, { error: { code: 'internal', message } });
  }
}
