// The errors the package throws, and the ones a handler throws to say how its job failed.

/**
 * An answer of the server that is not a success, or a request that got no answer.
 *
 * `status` is the HTTP status (0 when no answer came: `code` is then `network_error` or
 * `timeout`). `code`, `message` and `field` are the server's `error` object (docs/api.md,
 * "Errors"); `state` is the job's current state on a 409 of cancel or retry.
 */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly state: string | undefined;
  /** The server's `x-request-id` for the request, when it answered: its log has the same id. */
  readonly requestId: string | undefined;
  /** From `Retry-After`, on a 503. */
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    field?: string | undefined;
    state?: string | undefined;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.field = init.field;
    this.state = init.state;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
  }

  /**
   * True when the same request may succeed if sent again later: a 503 (nothing was accepted)
   * or no answer at all. A timeout is transient too, but the request may have been applied.
   */
  get transient(): boolean {
    return this.status === 503 || this.code === 'network_error' || this.code === 'timeout';
  }
}

/** Thrown by a handler: spend this attempt and run again after the backoff (or `retryAfterMs`). */
export class RetryError extends Error {
  override readonly name = 'RetryError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Thrown by a handler: give up, the job goes to dead whatever attempts are left. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Thrown by a handler: not now; run again after `afterMs` without spending an attempt. */
export class SnoozeError extends Error {
  override readonly name = 'SnoozeError';
  readonly afterMs: number;
  constructor(afterMs: number, message = 'snoozed') {
    super(message);
    this.afterMs = afterMs;
  }
}

/** The reason of a handler's AbortSignal when its job's lease was lost. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The reason of a handler's AbortSignal when the worker's shutdown grace ran out. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
}

/** Thrown by verifyWebhook when a request is not a genuine, fresh delivery. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}
