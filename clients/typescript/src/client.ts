// Client: the producer and inspection side of docs/api.md over the global fetch. No Node-only
// module is imported here, so it also runs where only fetch exists (edge runtimes, Deno, Bun).
//
// Retries: a 503 (nothing was accepted) or a request that got no answer is sent again with a
// backoff, but only when sending it twice cannot do twice what it asks: GETs, and enqueues that
// carry a dedupeKey (every job of the batch, for enqueueBatch). Everything else fails at once
// with a SpoolError whose `transient` is true, for the caller to decide. A timeout is never
// retried: the server may have acted on the request.

import { SpoolError } from './errors.js';
import type {
  BatchJob,
  CallOptions,
  EnqueueOptions,
  EnqueueResult,
  Job,
  JobFilter,
  JobPage,
  JobTypes,
  Queue,
  QueueConfigPatch,
  ReserveOptions,
  ReservedJob,
  SettleRequest,
  SettleResult,
  Settled,
  Stats,
  FailError,
  Schedule,
  ScheduleSpec,
  EventFilter,
  EventsOptions,
  GapEvent,
  JobEvent,
} from './types.js';
import { encodeJob, fromWire, toWire } from './wire.js';

export interface ClientOptions {
  /** Base URL; default `SPOOL_URL`, else http://127.0.0.1:7070. */
  url?: string;
  /** Bearer token; default `SPOOL_TOKEN` (none: the server must run without auth). */
  token?: string;
  /** Per-request timeout in ms (a long poll adds its wait). Default 30000. */
  timeoutMs?: number;
  /** Retries of a retryable call after its first try. Default 3. */
  maxRetries?: number;
  /** First retry delay in ms, doubled each time, full jitter. Default 100. */
  retryBaseMs?: number;
  /** Longest retry delay in ms (a Retry-After is honoured up to it). Default 5000. */
  retryMaxMs?: number;
  /** A fetch of your own (tests, instrumentation). Default the global fetch. */
  fetch?: typeof fetch;
}

const env = (name: string): string | undefined => {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === '' ? undefined : v;
};

interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: [string, string][];
  body?: unknown;
  retry: boolean;
  extraTimeoutMs?: number;
  call?: CallOptions | undefined;
}

/** Sleeps `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * `new Client<{ send_email: { to: string } }>()` types `enqueue` and the jobs it reads back:
 * an unknown type or a wrong payload does not compile.
 */
export class Client<T extends JobTypes = JobTypes> {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions = {}) {
    this.url = (options.url ?? env('SPOOL_URL') ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
    this.#token = options.token ?? env('SPOOL_TOKEN');
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#retryBaseMs = options.retryBaseMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('no fetch: pass options.fetch');
    this.#fetch = f.bind(globalThis);
  }

  // ---- producing ----

  /** POST /v1/jobs. Retried on 503 and network errors only when `dedupeKey` is set. */
  async enqueue<K extends keyof T & string>(
    type: K,
    payload: T[K],
    options?: EnqueueOptions,
    call?: CallOptions,
  ): Promise<EnqueueResult> {
    const body = encodeJob(type, payload, options);
    return fromWire(
      await this.#request({
        method: 'POST',
        path: '/v1/jobs',
        body,
        retry: typeof options?.dedupeKey === 'string',
        call,
      }),
    );
  }

  /** POST /v1/jobs/batch: all or nothing. Retried only when every job has a dedupeKey. */
  async enqueueBatch(jobs: BatchJob<T>[], call?: CallOptions): Promise<EnqueueResult[]> {
    const body = {
      jobs: jobs.map((j) => encodeJob(j.type, j.payload, j, ['type', 'payload'])),
    };
    const answer = await this.#request({
      method: 'POST',
      path: '/v1/jobs/batch',
      body,
      retry: jobs.length > 0 && jobs.every((j) => typeof j.dedupeKey === 'string'),
      call,
    });
    return fromWire<{ jobs: EnqueueResult[] }>(answer).jobs;
  }

  // ---- inspecting ----

  async getJob(id: string, call?: CallOptions): Promise<Job<T>> {
    return fromWire(await this.#get(`/v1/jobs/${encodeURIComponent(id)}`, [], call));
  }

  /** One page of GET /v1/jobs. Most callers want listJobs, which follows the cursor. */
  async listJobsPage(
    filter: JobFilter & { cursor?: string | null } = {},
    call?: CallOptions,
  ): Promise<JobPage<T>> {
    const query: [string, string][] = [];
    const names: Record<string, string> = {
      state: 'state',
      type: 'type',
      queue: 'queue',
      tag: 'tag',
      dedupeKey: 'dedupe_key',
      limit: 'limit',
      order: 'order',
      cursor: 'cursor',
    };
    for (const [k, v] of Object.entries(filter)) {
      if (v === undefined || v === null) continue;
      const name = names[k];
      if (!name) {
        throw new TypeError(`${JSON.stringify(k)} is not a job filter; the known ones are ${Object.keys(names).join(', ')}`);
      }
      for (const one of Array.isArray(v) ? v : [v]) query.push([name, String(one)]);
    }
    return fromWire(await this.#get('/v1/jobs', query, call));
  }

  /**
   * Every job matching `filter`, newest first unless `order: 'asc'`, fetched page by page as
   * the loop asks for them. A page may be short (even empty) while more follow: the iterator
   * follows `next_cursor` until the server says there is none.
   */
  async *listJobs(filter: JobFilter = {}, call?: CallOptions): AsyncGenerator<Job<T>, void, undefined> {
    let cursor: string | null = null;
    do {
      const page: JobPage<T> = await this.listJobsPage({ ...filter, cursor }, call);
      yield* page.jobs;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** DELETE /v1/jobs/{id}: scheduled, queued or retrying jobs only (409 with `state` else). */
  async cancel(id: string, call?: CallOptions): Promise<Settled> {
    return fromWire(
      await this.#request({ method: 'DELETE', path: `/v1/jobs/${encodeURIComponent(id)}`, retry: false, call }),
    );
  }

  /** POST /v1/jobs/{id}/retry: a dead or cancelled job back to queued, attempts reset. */
  async retry(id: string, call?: CallOptions): Promise<Settled> {
    return fromWire(await this.#post(`/v1/jobs/${encodeURIComponent(id)}/retry`, undefined, call));
  }

  /** POST /v1/queues/{name}/retry-dead: how many dead jobs went back to queued. */
  async retryDead(queue: string, options: { type?: string } = {}, call?: CallOptions): Promise<number> {
    const body = options.type === undefined ? undefined : { type: options.type };
    const a = await this.#post(`/v1/queues/${encodeURIComponent(queue)}/retry-dead`, body, call);
    return (a as { retried: number }).retried;
  }

  // ---- queues ----

  async listQueues(call?: CallOptions): Promise<Queue[]> {
    return fromWire<{ queues: Queue[] }>(await this.#get('/v1/queues', [], call)).queues;
  }

  async getQueue(name: string, call?: CallOptions): Promise<Queue> {
    return fromWire(await this.#get(`/v1/queues/${encodeURIComponent(name)}`, [], call));
  }

  /** PATCH /v1/queues/{name}: creates the queue if new. */
  async patchQueue(name: string, config: QueueConfigPatch, call?: CallOptions): Promise<Queue> {
    return fromWire(
      await this.#request({
        method: 'PATCH',
        path: `/v1/queues/${encodeURIComponent(name)}`,
        body: toWire(config),
        retry: false,
        call,
      }),
    );
  }

  async pause(queue: string, call?: CallOptions): Promise<Queue> {
    return fromWire(await this.#post(`/v1/queues/${encodeURIComponent(queue)}/pause`, undefined, call));
  }

  async resume(queue: string, call?: CallOptions): Promise<Queue> {
    return fromWire(await this.#post(`/v1/queues/${encodeURIComponent(queue)}/resume`, undefined, call));
  }

  /** GET /v1/stats. Queue names are kept as they are (they are keys of `queues`). */
  async stats(call?: CallOptions): Promise<Stats> {
    return (await this.#get('/v1/stats', [], call)) as Stats;
  }

  // ---- schedules ----

  /** POST /v1/schedules: 201 the schedule; 409 conflict when the name is taken. */
  async createSchedule(spec: ScheduleSpec<T>, call?: CallOptions): Promise<Schedule<T>> {
    return fromWire(await this.#post('/v1/schedules', toWire(spec), call));
  }

  async listSchedules(call?: CallOptions): Promise<Schedule<T>[]> {
    return fromWire<{ schedules: Schedule<T>[] }>(await this.#get('/v1/schedules', [], call)).schedules;
  }

  /** GET /v1/schedules/{id}, with `nextRuns` (the next five fire times). */
  async getSchedule(id: string, call?: CallOptions): Promise<Schedule<T>> {
    return fromWire(await this.#get(`/v1/schedules/${encodeURIComponent(id)}`, [], call));
  }

  /** PATCH /v1/schedules/{id}: the fields given replace the schedule's. */
  async patchSchedule(id: string, patch: Partial<ScheduleSpec<T>>, call?: CallOptions): Promise<Schedule<T>> {
    return fromWire(
      await this.#request({ method: 'PATCH', path: `/v1/schedules/${encodeURIComponent(id)}`, body: toWire(patch), retry: false, call }),
    );
  }

  /** DELETE /v1/schedules/{id}; the jobs it made stay. */
  async deleteSchedule(id: string, call?: CallOptions): Promise<void> {
    await this.#request({ method: 'DELETE', path: `/v1/schedules/${encodeURIComponent(id)}`, retry: false, call });
  }

  /** POST /v1/schedules/{id}/trigger: enqueues the schedule's job now. */
  async triggerSchedule(id: string, call?: CallOptions): Promise<EnqueueResult> {
    return fromWire(await this.#post(`/v1/schedules/${encodeURIComponent(id)}/trigger`, undefined, call));
  }

  // ---- live events ----

  /**
   * GET /v1/events as an async iterator (fetch streaming, the token in the header). Frames come
   * in commit order; a resumed stream that lost events first yields a `gap`. The stream is
   * re-opened with Last-Event-ID when it ends (a slow consumer, a restart) unless `reconnect`
   * is false. Leaving the loop (break, return, the signal) closes the connection.
   */
  async *events(filter: EventFilter = {}, options: EventsOptions = {}): AsyncGenerator<JobEvent | GapEvent, void, undefined> {
    const query = new URLSearchParams();
    for (const k of ['queue', 'type', 'job'] as const) if (filter[k] !== undefined) query.set(k, filter[k]!);
    const qs = query.toString();
    const url = `${this.url}/v1/events${qs ? `?${qs}` : ''}`;
    const reconnect = options.reconnect ?? true;
    const user = options.signal;
    const controller = new AbortController();
    const onAbort = () => controller.abort(user!.reason);
    user?.addEventListener('abort', onAbort, { once: true });
    let last = options.lastEventId === undefined ? undefined : String(options.lastEventId);
    let retryMs = 2000;
    try {
      for (;;) {
        user?.throwIfAborted();
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.#token) headers.authorization = `Bearer ${this.#token}`;
        if (last !== undefined) headers['last-event-id'] = last;
        let res: Response | undefined;
        let failure: SpoolError | undefined;
        try {
          res = await this.#fetch(url, { headers, signal: controller.signal });
        } catch (e) {
          if (user?.aborted) throw user.reason;
          failure = new SpoolError({ status: 0, code: 'network_error', message: `GET ${url}: ${(e as Error).message}`, cause: e });
        }
        if (res && !res.ok) {
          const text = await res.text();
          let err: Record<string, unknown> | undefined;
          try {
            err = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
          } catch {
            err = undefined;
          }
          failure = new SpoolError({
            status: res.status,
            code: typeof err?.code === 'string' ? err.code : `http_${res.status}`,
            message: typeof err?.message === 'string' ? err.message : `GET ${url} answered ${res.status}`,
            field: typeof err?.field === 'string' ? err.field : undefined,
            requestId: res.headers.get('x-request-id') ?? undefined,
          });
        }
        if (failure) {
          if (!reconnect || !failure.transient) throw failure;
          await sleep(retryMs, controller.signal);
          continue;
        }
        options.onOpen?.();
        const reader = res!.body!.getReader();
        const decoder = new TextDecoder();
        let buf = '';
        let data: string[] = [];
        let id: string | undefined;
        try {
          for (;;) {
            let chunk;
            try {
              chunk = await reader.read();
            } catch (e) {
              if (user?.aborted) throw user.reason;
              break; // the connection dropped: reconnect below
            }
            if (chunk.done) break;
            buf += decoder.decode(chunk.value, { stream: true });
            let nl: number;
            while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
              if (line === '') {
                if (data.length > 0) {
                  if (id !== undefined) last = id;
                  const frame = JSON.parse(data.join('\n')) as unknown;
                  data = [];
                  id = undefined;
                  yield fromWire<JobEvent | GapEvent>(frame);
                }
                continue;
              }
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              let value = colon < 0 ? '' : line.slice(colon + 1);
              if (value.startsWith(' ')) value = value.slice(1);
              if (field === 'data') data.push(value);
              else if (field === 'id') id = value;
              else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
            }
          }
        } finally {
          reader.releaseLock();
        }
        if (!reconnect) return;
        await sleep(retryMs, controller.signal);
      }
    } finally {
      user?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  // ---- working (what Worker uses; exposed for loops of your own) ----

  /** POST /v1/reserve. Never retried (a lost answer's jobs come back by themselves). */
  async reserve(options: ReserveOptions, call?: CallOptions): Promise<ReservedJob[]> {
    const a = await this.#request({
      method: 'POST',
      path: '/v1/reserve',
      body: toWire(options),
      retry: false,
      extraTimeoutMs: options.waitMs ?? 0,
      call,
    });
    return fromWire<{ jobs: ReservedJob[] }>(a).jobs;
  }

  async ack(id: string, lease: string, result?: unknown, call?: CallOptions): Promise<Settled> {
    const body = result === undefined ? { lease } : { lease, result };
    return fromWire(await this.#post(`/v1/jobs/${encodeURIComponent(id)}/ack`, body, call));
  }

  async fail(id: string, lease: string, error: FailError, call?: CallOptions): Promise<Settled> {
    return fromWire(
      await this.#post(`/v1/jobs/${encodeURIComponent(id)}/fail`, { lease, error: toWire(error) }, call),
    );
  }

  async extend(
    id: string,
    lease: string,
    options: { leaseMs?: number; progress?: unknown } = {},
    call?: CallOptions,
  ): Promise<{ id: string; leaseExpiresAt: string }> {
    const body = toWire({ lease, ...options });
    return fromWire(await this.#post(`/v1/jobs/${encodeURIComponent(id)}/extend`, body, call));
  }

  /** POST /v1/settle, optionally asking for the next jobs in the same request. */
  async settle(request: SettleRequest, call?: CallOptions): Promise<SettleResult> {
    const a = fromWire<SettleResult>(
      await this.#request({
        method: 'POST',
        path: '/v1/settle',
        body: toWire({ ack: request.ack ?? [], fail: request.fail ?? [], reserve: request.reserve }),
        retry: false,
        extraTimeoutMs: request.reserve?.waitMs ?? 0,
        call,
      }),
    );
    return { results: a.results, jobs: a.jobs ?? [], ...(a.reserveError ? { reserveError: a.reserveError } : {}) };
  }

  // ---- plumbing ----

  #get(path: string, query: [string, string][], call: CallOptions | undefined) {
    return this.#request({ method: 'GET', path, query, retry: true, call });
  }

  #post(path: string, body: unknown, call: CallOptions | undefined) {
    return this.#request({ method: 'POST', path, body, retry: false, call });
  }

  async #request(spec: RequestSpec): Promise<unknown> {
    let url = this.url + spec.path;
    if (spec.query && spec.query.length > 0) url += `?${new URLSearchParams(spec.query).toString()}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    const timeoutMs = (spec.call?.timeoutMs ?? this.#timeoutMs) + (spec.extraTimeoutMs ?? 0);
    const userSignal = spec.call?.signal;
    for (let attempt = 0; ; attempt++) {
      let err: SpoolError;
      try {
        return await this.#once(url, spec.method, headers, body, timeoutMs, userSignal);
      } catch (e) {
        if (!(e instanceof SpoolError)) throw e; // the caller's abort reason
        err = e;
      }
      const retryable = err.status === 503 || err.code === 'network_error';
      if (!spec.retry || !retryable || attempt >= this.#maxRetries) throw err;
      const exp = Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** attempt);
      const delay = Math.min(this.#retryMaxMs, Math.max(Math.random() * exp, err.retryAfterMs ?? 0));
      await sleep(delay, userSignal);
    }
  }

  async #once(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    userSignal: AbortSignal | undefined,
  ): Promise<unknown> {
    userSignal?.throwIfAborted();
    // One controller for the caller's signal and the timeout (AbortSignal.any is not in Node 18).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(userSignal!.reason);
    userSignal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      let text: string;
      try {
        const init: RequestInit = { method, headers, signal: controller.signal };
        if (body !== undefined) init.body = body;
        res = await this.#fetch(url, init);
        // Once the answer has started, the caller's signal no longer aborts it (the timeout
        // still does): a reserve answered as a worker closes hands over jobs that are leased
        // already, and the worker can give them back at once rather than let their leases run
        // out (which would spend an attempt).
        userSignal?.removeEventListener('abort', onAbort);
        text = await res.text();
      } catch (e) {
        if (controller.signal.aborted && !timedOut && userSignal?.aborted) throw userSignal.reason;
        if (timedOut) {
          throw new SpoolError({
            status: 0,
            code: 'timeout',
            message: `${method} ${url}: no answer within ${timeoutMs} ms`,
            cause: e,
          });
        }
        const why = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
        throw new SpoolError({ status: 0, code: 'network_error', message: `${method} ${url}: ${why}`, cause: e });
      }
      const requestId = res.headers.get('x-request-id') ?? undefined;
      let json: unknown = undefined;
      if (text !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          if (res.ok) {
            throw new SpoolError({ status: res.status, code: 'bad_response', message: `${method} ${url}: the answer is not JSON`, requestId });
          }
        }
      }
      if (res.ok) return json;
      const e = (json as { error?: Record<string, unknown> } | undefined)?.error;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      throw new SpoolError({
        status: res.status,
        code: str(e?.code) ?? `http_${res.status}`,
        message: str(e?.message) ?? `${method} ${url} answered ${res.status}: ${text.slice(0, 200)}`,
        field: str(e?.field),
        state: str(e?.state) ?? str((json as Record<string, unknown> | undefined)?.state),
        requestId,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
      });
    } finally {
      clearTimeout(timer);
      userSignal?.removeEventListener('abort', onAbort);
    }
  }
}
