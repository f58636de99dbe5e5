// Worker: runs handlers for the jobs of some queues and does the bookkeeping that makes a worker
// correct (the same contract as the C++ spool::Worker, include/spool/worker.hpp).
//
// Reserving: one loop long-polls POST /v1/reserve for as many jobs as there are free slots
// (concurrency - jobs held, at most 100 a request). When outcomes are waiting as a slot frees,
// the loop sends them with the request for its next jobs (POST /v1/settle with "reserve",
// wait_ms 0), so a busy worker costs one request a round; when nothing was ready it goes back
// to the long poll. Outcomes that finish while the long poll is parked are settled on their own
// (POST /v1/settle, everything that piled up while the previous settle was in flight).
//
// Leases: each job's lease is renewed at half its length while its handler runs. When a renewal
// is refused (lease_lost, timed_out, not_found, conflict), or the server could not be reached until the
// lease ran out, the handler's `signal` aborts with a LeaseLostError; what the handler returns
// then is not settled (another worker may hold the job).
//
// Outcomes: returning acks (with the value as result, unless undefined); throwing RetryError
// spends the attempt (retryAfterMs overrides the backoff), PermanentError sends the job to dead,
// SnoozeError waits without spending the attempt, any other error retries with its message.
//
// Closing (close(), or SIGTERM/SIGINT while run() runs with handleSignals): stop reserving (the
// parked long poll is dropped; the server leases nothing to a gone waiter); running handlers get
// shutdownGraceMs to finish and settle normally; then each job still running is handed back
// (fail kind "release": no attempt spent) and its signal aborts with a ShutdownError. JavaScript
// cannot stop a handler that ignores its signal: close() does not wait for those.
//
// Events: 'completed' (job, result) and 'failed' (job, error, settled) once the server has
// confirmed the outcome; 'error' (error, job?) for what the worker could not do (a lost lease, a
// refused settle, the server away). With no 'error' listener, errors go to console.error.

import { Client, sleep } from './client.js';
import { LeaseLostError, PermanentError, RetryError, ShutdownError, SnoozeError, SpoolError } from './errors.js';
import type { FailError, JobTypes, ReserveOptions, ReservedJob, Settled } from './types.js';

/** What a handler gets: the reserved job, an AbortSignal and a way to report progress. */
export interface WorkerJob<P = unknown, K extends string = string> extends ReservedJob<P, K> {
  /** Aborts when the job's lease is lost or the shutdown grace ran out. */
  readonly signal: AbortSignal;
  /** Records progress (any JSON); sent with a lease renewal within about a second. */
  progress(value: unknown): void;
}

export type Handler<P = unknown, K extends string = string> = (job: WorkerJob<P, K>) => unknown;

export type Handlers<T extends JobTypes> = {
  [K in keyof T & string]?: Handler<T[K], K>;
};

export interface WorkerOptions<T extends JobTypes> {
  queues: string[];
  /** Handlers running at once, 1..1000. Default 10. */
  concurrency?: number;
  handlers: Handlers<T>;
  /** For any type without a handler of its own (as `spool work` does). */
  fallback?: Handler<unknown, string>;
  /** Shown on active jobs. Default "node:<pid>". */
  name?: string;
  /** Lease asked for at reserve; default each job's own. */
  leaseMs?: number;
  /** Long poll length when idle, 1..60000 ms. Default 30000. */
  pollWaitMs?: number;
  /** How long running handlers may finish after close(). Default 30000. */
  shutdownGraceMs?: number;
  /** run() calls close() on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
}

export interface WorkerEvents<T extends JobTypes> {
  completed: (job: AnyWorkerJob<T>, result: unknown) => void;
  failed: (job: AnyWorkerJob<T>, error: Error, settled: Settled) => void;
  error: (error: Error, job?: AnyWorkerJob<T>) => void;
}

export type AnyWorkerJob<T extends JobTypes> = {
  [K in keyof T & string]: WorkerJob<T[K], K>;
}[keyof T & string];

// timed_out: the attempt ran past the job's timeoutMs and the server failed it as a timeout.
const LOST_CODES = new Set(['lease_lost', 'timed_out', 'not_found', 'conflict']);
const MAX_RESERVE = 100;
const MAX_SETTLE = 1000;
const DEFAULT_LEASE_MS = 30_000;
const now = () => performance.now();

interface Active {
  job: WorkerJob;
  controller: AbortController;
  leaseMs: number;
  expiresAt: number; // on now()'s clock
  renewAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  renewing: boolean;
  progress: { value: unknown } | undefined;
  /** The outcome is decided (handed to the settler, lost, or released): nothing more is sent. */
  done: boolean;
}

interface Outcome {
  active: Active;
  ack: boolean;
  result?: unknown;
  error?: FailError;
  failure?: Error;
}

class Backoff {
  #n = 0;
  next(): number {
    const ms = Math.min(5000, 100 * 2 ** this.#n++);
    return ms / 2 + (Math.random() * ms) / 2;
  }
  reset() {
    this.#n = 0;
  }
}

export class Worker<T extends JobTypes = JobTypes> {
  readonly #client: Client<T>;
  readonly #queues: string[];
  readonly #concurrency: number;
  readonly #handlers: Handlers<T>;
  readonly #fallback: Handler<unknown, string> | undefined;
  readonly #name: string;
  readonly #leaseMs: number | undefined;
  readonly #pollWaitMs: number;
  readonly #graceMs: number;
  readonly #handleSignals: boolean;

  readonly #listeners: { [E in keyof WorkerEvents<T>]: Set<WorkerEvents<T>[E]> } = {
    completed: new Set(),
    failed: new Set(),
    error: new Set(),
  };
  readonly #running = new Map<string, Active>();
  #pending: Outcome[] = [];
  #settling = false;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #waiters: (() => void)[] = [];
  #poll: AbortController | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #settleBackoff = new Backoff();

  constructor(client: Client<T>, options: WorkerOptions<T>) {
    if (!Array.isArray(options.queues) || options.queues.length < 1 || options.queues.length > 32) {
      throw new TypeError('queues must list 1..32 queue names');
    }
    const c = options.concurrency ?? 10;
    if (!Number.isInteger(c) || c < 1 || c > 1000) {
      throw new TypeError(`concurrency must be an integer between 1 and 1000, got ${c}`);
    }
    this.#client = client;
    this.#queues = [...options.queues];
    this.#concurrency = c;
    this.#handlers = options.handlers;
    this.#fallback = options.fallback;
    const pid = (globalThis as { process?: { pid?: number } }).process?.pid;
    this.#name = options.name ?? `node:${pid ?? 'worker'}`;
    this.#leaseMs = options.leaseMs;
    this.#pollWaitMs = options.pollWaitMs ?? 30_000;
    this.#graceMs = options.shutdownGraceMs ?? 30_000;
    this.#handleSignals = options.handleSignals ?? true;
  }

  on<E extends keyof WorkerEvents<T>>(event: E, listener: WorkerEvents<T>[E]): this {
    this.#listeners[event].add(listener);
    return this;
  }

  off<E extends keyof WorkerEvents<T>>(event: E, listener: WorkerEvents<T>[E]): this {
    this.#listeners[event].delete(listener);
    return this;
  }

  /** Jobs whose handlers are running now. */
  get active(): number {
    return this.#running.size;
  }

  /** Works until close() (or a signal, with handleSignals); resolves once close has finished. */
  async run(): Promise<void> {
    if (this.#loop) throw new Error('run() was already called on this worker');
    const proc = (globalThis as { process?: NodeJS.Process }).process;
    const onSignal = () => void this.close();
    if (this.#handleSignals && proc?.once) {
      proc.once('SIGTERM', onSignal);
      proc.once('SIGINT', onSignal);
    }
    try {
      this.#loop = this.#reserveLoop();
      await this.#loop;
      await this.#closed;
    } finally {
      proc?.off?.('SIGTERM', onSignal);
      proc?.off?.('SIGINT', onSignal);
    }
  }

  /** Stops reserving, lets running handlers finish within the grace, then hands back the rest. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    this.#poll?.abort(new ShutdownError('the worker is closing'));
    this.#notify();
    this.#closed = (async () => {
      await this.#loop;
      const graceTimer = new AbortController();
      const graceOver = sleep(this.#graceMs, graceTimer.signal).then(
        () => 'grace' as const,
        () => 'cleared' as const,
      );
      while (this.#running.size > 0) {
        if ((await Promise.race([this.#changed(), graceOver])) === 'grace') break;
      }
      graceTimer.abort(); // no timer left to keep the process alive
      for (const a of this.#running.values()) {
        if (a.done) continue;
        this.#finish(a);
        this.#pending.push({
          active: a,
          ack: false,
          error: { message: 'the worker is shutting down; handed back', kind: 'release' },
        });
        a.controller.abort(new ShutdownError('the worker shutdown grace ran out; the job was handed back'));
      }
      // Settle what is left; the settler gives up on an item once its lease has run out.
      clearTimeout(this.#flushTimer);
      while (this.#pending.length > 0 || this.#settling) {
        if (this.#settling) {
          await this.#changed();
          continue;
        }
        const batch = this.#pending.splice(0, MAX_SETTLE);
        const { ok } = await this.#settleBatch(batch);
        if (!ok && this.#pending.length > 0) await sleep(this.#settleBackoff.next());
      }
    })();
    return this.#closed;
  }

  // ---- the reserve loop ----

  async #reserveLoop(): Promise<void> {
    const backoff = new Backoff();
    let away = false;
    let lastRefusal = '';
    while (!this.#closing) {
      const free = this.#concurrency - this.#running.size;
      if (free <= 0) {
        if (this.#pending.length > 0) this.#scheduleFlush(0);
        await this.#changed();
        continue;
      }
      const reserve: ReserveOptions = {
        queues: this.#queues,
        max: Math.min(free, MAX_RESERVE),
        worker: this.#name,
        ...(this.#leaseMs === undefined ? {} : { leaseMs: this.#leaseMs }),
      };
      let jobs: ReservedJob[];
      let failure: unknown;
      if (this.#pending.length > 0 && !this.#settling) {
        // Settle what finished and take whatever is ready now, in one request.
        const batch = this.#pending.splice(0, MAX_SETTLE);
        const got = await this.#settleBatch(batch, { ...reserve, waitMs: 0 });
        jobs = got.jobs;
        failure = got.reserveFailure;
      } else {
        this.#poll = new AbortController();
        try {
          jobs = await this.#client.reserve({ ...reserve, waitMs: this.#pollWaitMs }, { signal: this.#poll.signal });
        } catch (e) {
          jobs = [];
          failure = this.#closing ? undefined : e;
        } finally {
          this.#poll = undefined;
        }
      }
      if (failure === undefined) {
        if (away) away = false;
        lastRefusal = '';
        backoff.reset();
      } else {
        const err = failure instanceof Error ? failure : new Error(String(failure));
        const transient = err instanceof SpoolError && err.transient;
        if (transient ? !away : err.message !== lastRefusal) {
          this.#emitError(
            new Error(
              transient
                ? `the server at ${this.#client.url} cannot be reached (${err.message}); reserving again with backoff up to 5 s`
                : `the server refused to hand out jobs (${err.message}); asking again with backoff up to 5 s`,
              { cause: err },
            ),
          );
        }
        if (transient) away = true;
        else lastRefusal = err.message;
      }
      for (const r of jobs) this.#start(r);
      if (failure !== undefined && !this.#closing) {
        const pause = new AbortController();
        await Promise.race([sleep(backoff.next(), pause.signal).catch(() => {}), this.#changed()]);
        pause.abort(); // woken early (close, a freed slot): no timer left behind
      }
    }
  }

  #start(reserved: ReservedJob) {
    const controller = new AbortController();
    const leaseMs = reserved.leaseMs > 0 ? reserved.leaseMs : DEFAULT_LEASE_MS;
    const t = now();
    const a: Active = {
      job: undefined as unknown as WorkerJob,
      controller,
      leaseMs,
      expiresAt: t + leaseMs,
      renewAt: t + leaseMs / 2,
      timer: undefined,
      renewing: false,
      progress: undefined,
      done: false,
    };
    a.job = {
      ...reserved,
      signal: controller.signal,
      progress: (value: unknown) => this.#progress(a, value),
    };
    this.#running.set(reserved.id, a);
    if (this.#closing) {
      this.#finish(a);
      this.#running.delete(reserved.id);
      this.#pending.push({ active: a, ack: false, error: { message: 'the worker is shutting down; handed back before it started', kind: 'release' } });
      return;
    }
    this.#scheduleRenew(a, leaseMs / 2);
    void this.#runHandler(a);
  }

  async #runHandler(a: Active) {
    const job = a.job;
    const handler =
      (this.#handlers as Record<string, Handler | undefined>)[job.type] ?? this.#fallback;
    let outcome: Omit<Outcome, 'active'>;
    try {
      if (!handler) {
        throw new RetryError(`no handler for job type ${job.type} in this worker (${this.#name})`);
      }
      const result = await handler(job);
      outcome = { ack: true, result };
    } catch (e) {
      outcome = { ack: false, ...failureOf(e) };
    }
    this.#running.delete(job.id);
    if (!a.done) {
      this.#finish(a);
      this.#pending.push({ active: a, ...outcome });
      this.#scheduleFlush(0);
    }
    this.#notify();
  }

  // ---- leases ----

  #finish(a: Active) {
    a.done = true;
    clearTimeout(a.timer);
    a.timer = undefined;
  }

  #scheduleRenew(a: Active, delayMs: number) {
    clearTimeout(a.timer);
    a.renewAt = now() + delayMs;
    a.timer = setTimeout(() => void this.#renew(a), Math.max(0, delayMs));
  }

  #progress(a: Active, value: unknown) {
    if (a.done) return;
    a.progress = { value };
    if (!a.renewing && a.renewAt - now() > 1000) this.#scheduleRenew(a, 1000);
  }

  async #renew(a: Active) {
    if (a.done) return;
    a.renewing = true;
    const progress = a.progress;
    a.progress = undefined;
    const sent = now();
    try {
      // The server, not this estimate, decides whether the lease still holds: a slow answer that
      // comes after the local expiry may still renew it.
      const timeoutMs = Math.min(10_000, Math.max(2_000, a.expiresAt - sent));
      await this.#client.extend(
        a.job.id,
        a.job.lease,
        progress ? { progress: progress.value } : {},
        { timeoutMs },
      );
      if (a.done) return;
      a.expiresAt = sent + a.leaseMs;
      this.#scheduleRenew(a, a.progress ? Math.min(1000, a.leaseMs / 2) : a.leaseMs / 2);
    } catch (e) {
      if (a.done) return;
      if (e instanceof SpoolError && LOST_CODES.has(e.code)) {
        this.#lose(a, `the server refused to renew its lease (${e.code}: ${e.message})`, e);
        return;
      }
      if (now() >= a.expiresAt) {
        this.#lose(a, `its lease ran out while the server could not be reached (${(e as Error).message})`, e);
        return;
      }
      a.progress ??= progress;
      this.#scheduleRenew(a, Math.min(1000, Math.max(20, (a.expiresAt - now()) / 4)));
    } finally {
      a.renewing = false;
    }
  }

  #lose(a: Active, why: string, cause: unknown) {
    this.#finish(a);
    const err = new LeaseLostError(`job ${a.job.id} (${a.job.type}): ${why}; its outcome will not be settled`, { cause });
    a.controller.abort(err);
    this.#emitError(err, a.job);
  }

  // ---- settling ----

  #scheduleFlush(delayMs: number) {
    if (this.#flushTimer !== undefined || this.#closing) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#flush();
    }, delayMs);
  }

  async #flush() {
    if (this.#settling || this.#pending.length === 0) return;
    const { ok } = await this.#settleBatch(this.#pending.splice(0, MAX_SETTLE));
    if (this.#pending.length > 0) this.#scheduleFlush(ok ? 0 : this.#settleBackoff.next());
  }

  /**
   * Sends one POST /v1/settle (with `reserve` when given). On a transient failure the items go
   * back to the front of the queue, except those whose lease has run out; a refusal of the whole
   * request sends each item alone, so one bad item fails only itself.
   */
  async #settleBatch(
    batch: Outcome[],
    reserve?: ReserveOptions,
  ): Promise<{ ok: boolean; jobs: ReservedJob[]; reserveFailure?: unknown }> {
    const acks = batch.filter((o) => o.ack);
    const fails = batch.filter((o) => !o.ack);
    const order = [...acks, ...fails];
    this.#settling = true;
    let answer;
    let error: unknown;
    try {
      answer = await this.#client.settle({
        ack: acks.map((o) => ({
          id: o.active.job.id,
          lease: o.active.job.lease,
          ...(o.result === undefined ? {} : { result: o.result }),
        })),
        fail: fails.map((o) => ({ id: o.active.job.id, lease: o.active.job.lease, error: o.error! })),
        ...(reserve ? { reserve } : {}),
      });
    } catch (e) {
      error = e;
    } finally {
      this.#settling = false;
      this.#notify();
    }
    if (answer) {
      this.#settleBackoff.reset();
      answer.results.forEach((r, i) => {
        const o = order[i];
        if (o) this.#settled(o, r);
      });
      const reserveFailure = answer.reserveError
        ? new SpoolError({ status: 200, code: answer.reserveError.code, message: answer.reserveError.message })
        : undefined;
      return { ok: true, jobs: answer.jobs, reserveFailure };
    }
    const transient = error instanceof SpoolError && error.transient;
    if (transient) {
      const t = now();
      const again = order.filter((o) => {
        if (o.active.expiresAt > t) return true;
        this.#emitError(
          new Error(`job ${o.active.job.id} (${o.active.job.type}): gave up settling it (${o.ack ? 'ack' : o.error?.kind}) because its lease ran out while the server was away; the server will run it again`, { cause: error }),
          o.active.job,
        );
        return false;
      });
      this.#pending.unshift(...again);
    } else if (reserve) {
      // The refusal may be the reserve's (a bad queue name): settle the items without it.
      await this.#settleBatch(order);
    } else if (order.length === 1) {
      this.#emitError(new Error(`job ${order[0]!.active.job.id}: the server refused its outcome (${(error as Error).message})`, { cause: error }), order[0]!.active.job);
    } else {
      for (const o of order) await this.#settleBatch([o]);
    }
    return { ok: false, jobs: [], reserveFailure: error };
  }

  #settled(o: Outcome, r: { id: string; state?: string; nextRunAt?: string | null; error?: { code: string; message: string } }) {
    const job = o.active.job;
    if (r.error) {
      const e = new SpoolError({ status: 409, code: r.error.code, message: `job ${job.id} (${job.type}): the server refused its ${o.ack ? 'ack' : o.error?.kind} (${r.error.code}: ${r.error.message})` });
      this.#emitError(e, job);
      return;
    }
    const typed = job as unknown as AnyWorkerJob<T>;
    if (o.ack) this.#emit('completed', typed, o.result);
    else if (o.error?.kind !== 'release') {
      this.#emit('failed', typed, o.failure ?? new Error(o.error?.message), r as Settled);
    }
  }

  // ---- small things ----

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #notify() {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #emit<E extends 'completed' | 'failed'>(event: E, ...args: Parameters<WorkerEvents<T>[E]>) {
    for (const l of this.#listeners[event]) {
      try {
        (l as (...a: unknown[]) => void)(...args);
      } catch (e) {
        this.#emitError(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  #emitError(error: Error, job?: WorkerJob) {
    if (this.#listeners.error.size === 0) {
      console.error(`spool worker: ${error.message}`);
      return;
    }
    for (const l of this.#listeners.error) {
      try {
        l(error, job as AnyWorkerJob<T> | undefined);
      } catch {
        // a throwing error listener must not stop the worker
      }
    }
  }
}

function failureOf(e: unknown): { error: FailError; failure: Error } {
  const failure = e instanceof Error ? e : new Error(String(e));
  const message = failure.message || failure.name || 'failed';
  if (e instanceof PermanentError) return { failure, error: { message, kind: 'permanent' } };
  if (e instanceof SnoozeError) return { failure, error: { message, kind: 'snooze', retryAfterMs: e.afterMs } };
  if (e instanceof RetryError && e.retryAfterMs !== undefined) {
    return { failure, error: { message, kind: 'retry', retryAfterMs: e.retryAfterMs } };
  }
  return { failure, error: { message, kind: 'retry' } };
}
