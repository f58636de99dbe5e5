// The shapes of docs/api.md in TypeScript: the same fields, camelCase. Payloads, results,
// progress and push headers are the JSON that was given, never renamed.

/** A map from job type to its payload type, e.g. `{ send_email: { to: string } }`. */
export type JobTypes = Record<string, unknown>;

export type JobState =
  | 'scheduled'
  | 'queued'
  | 'active'
  | 'retrying'
  | 'completed'
  | 'dead'
  | 'cancelled';

export interface Backoff {
  type?: 'exponential' | 'fixed';
  baseMs?: number;
  maxMs?: number;
  jitter?: boolean;
}

/** POST /v1/jobs fields besides `type` and `payload`. */
export interface EnqueueOptions {
  queue?: string;
  priority?: number;
  delayMs?: number;
  runAt?: Date | string;
  dedupeKey?: string;
  dedupeWindowMs?: number;
  maxAttempts?: number;
  backoff?: Backoff;
  leaseMs?: number;
  /** The longest one attempt may run, however often its lease is renewed (docs/api.md "Run timeouts"). */
  timeoutMs?: number;
  tags?: string[];
  callbackUrl?: string;
}

export interface EnqueueResult {
  id: string;
  state: JobState;
  deduplicated: boolean;
}

/** One job of enqueueBatch: its type, payload and options. */
export type BatchJob<T extends JobTypes> = {
  [K in keyof T & string]: { type: K; payload: T[K] } & EnqueueOptions;
}[keyof T & string];

export interface JobError {
  message: string;
  kind: string;
  at: string;
  attempt?: number;
}

export interface JobCallback {
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt?: string | null;
  finishedAt?: string | null;
  lastError: string | null;
}

interface JobFields {
  id: string;
  queue: string;
  state: JobState;
  priority: number;
  attempts: number;
  maxAttempts: number;
  backoff: Required<Backoff>;
  leaseMs: number;
  timeoutMs: number | null;
  createdAt: string;
  runAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  leaseExpiresAt: string | null;
  worker: string | null;
  lastError: JobError | null;
  errors: JobError[];
  result: unknown;
  progress: unknown;
  dedupeKey: string | null;
  tags: string[];
  processingMs: number | null;
  callbackUrl: string | null;
  callback: JobCallback | null;
}

/** GET /v1/jobs/{id}: a union discriminated by `type` when the client knows its job types. */
export type Job<T extends JobTypes = JobTypes> = {
  [K in keyof T & string]: JobFields & { type: K; payload: T[K] };
}[keyof T & string];

export interface JobFilter {
  state?: JobState;
  type?: string;
  queue?: string;
  /** One tag, or up to 8: jobs carrying all of them. */
  tag?: string | string[];
  dedupeKey?: string;
  /** Page size, 1..500 (default 50); the iterator follows every page whatever it is. */
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface JobPage<T extends JobTypes = JobTypes> {
  jobs: Job<T>[];
  nextCursor: string | null;
}

export interface Settled {
  id: string;
  state: JobState;
  nextRunAt?: string | null;
}

export type StateCounts = Record<JobState, number>;

export interface PushConfig {
  url: string;
  secret?: string;
  previousSecret?: string;
  previousSecretExpiresAt?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  concurrency?: number;
  /** Extra headers, sent as given. */
  headers?: Record<string, string>;
  caFile?: string;
}

/** PATCH /v1/queues/{name} body; `push: null` removes the push config. */
export interface QueueConfigPatch {
  maxAttempts?: number;
  backoff?: Backoff;
  leaseMs?: number;
  timeoutMs?: number;
  concurrency?: number;
  rateLimit?: { limit: number; perMs: number };
  retainCompletedMs?: number;
  retainDeadMs?: number;
  retainCancelledMs?: number;
  push?: PushConfig | null;
}

export interface QueueConfig {
  maxAttempts: number | null;
  backoff: Required<Backoff> | null;
  leaseMs: number | null;
  timeoutMs: number | null;
  concurrency: number | null;
  rateLimit: { limit: number; perMs: number } | null;
  retainCompletedMs: number | null;
  retainDeadMs: number | null;
  retainCancelledMs: number | null;
  push: (PushConfig & Record<string, unknown>) | null;
}

export interface Queue {
  name: string;
  paused: boolean;
  counts: StateCounts;
  config: QueueConfig;
  /** Only in the answer of a PATCH whose `push` had no secret: shown once. */
  generatedSecret?: string;
  pushStatus?: Record<string, unknown>;
}

export interface Stats {
  queues: Record<string, { counts: StateCounts }>;
  totals: { counts: StateCounts };
}

/** POST /v1/reserve body. */
export interface ReserveOptions {
  queues: string[];
  max?: number;
  waitMs?: number;
  leaseMs?: number;
  worker?: string;
}

/** One job of a reserve answer. */
export interface ReservedJob<P = unknown, K extends string = string> {
  id: string;
  type: K;
  queue: string;
  payload: P;
  attempt: number;
  maxAttempts: number;
  lease: string;
  leaseExpiresAt: string;
  leaseMs: number;
  /** Set when the job has a run timeout; no lease reaches past it. */
  timeoutMs?: number;
  createdAt: string;
  tags: string[];
}

export type FailKind = 'retry' | 'permanent' | 'snooze' | 'release';

export interface FailError {
  message: string;
  kind?: FailKind;
  retryAfterMs?: number;
}

export interface SettleRequest {
  ack?: { id: string; lease: string; result?: unknown }[];
  fail?: { id: string; lease: string; error: FailError }[];
  reserve?: ReserveOptions;
}

export type SettleItemResult =
  | { id: string; state: JobState; nextRunAt?: string | null; error?: undefined }
  | { id: string; error: { code: string; message: string }; state?: undefined };

export interface SettleResult {
  results: SettleItemResult[];
  jobs: ReservedJob[];
  reserveError?: { code: string; message: string };
}

/** Per-call options every method takes last. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

/** The job a schedule enqueues: POST /v1/jobs fields without the timing and dedupe ones. */
export type ScheduleJob<T extends JobTypes = JobTypes> = {
  [K in keyof T & string]: { type: K; payload: T[K] } & Omit<
    EnqueueOptions,
    'delayMs' | 'runAt' | 'dedupeKey' | 'dedupeWindowMs'
  >;
}[keyof T & string];

/** POST /v1/schedules body: exactly one of `cron` and `everyMs`. */
export interface ScheduleSpec<T extends JobTypes = JobTypes> {
  name: string;
  cron?: string;
  everyMs?: number;
  /** IANA time zone, default UTC. */
  timezone?: string;
  job: ScheduleJob<T>;
  misfire?: 'skip' | 'run_once';
  overlap?: 'allow' | 'skip';
  paused?: boolean;
}

export interface Schedule<T extends JobTypes = JobTypes> {
  id: string;
  name: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  job: ScheduleJob<T>;
  misfire: 'skip' | 'run_once';
  overlap: 'allow' | 'skip';
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastJobId: string | null;
  createdAt: string;
  updatedAt: string;
  /** On a single GET: the next five fire times. */
  nextRuns?: string[];
}

export interface EventFilter {
  queue?: string;
  type?: string;
  job?: string;
}

/** One frame of GET /v1/events (docs/api.md, "Live events"), camelCased. */
export interface JobEvent {
  eventId: number;
  /** enqueued, started, progress, retrying, completed, dead, cancelled, snoozed, released, retried; new kinds may come. */
  event: string;
  at: string;
  jobId: string;
  type: string;
  queue: string;
  state: JobState;
  attempt: number;
  maxAttempts: number;
  error?: { message: string; kind: string };
  nextRunAt?: string | null;
  progress?: unknown;
  waitMs?: number;
  runMs?: number;
}

/** Sent instead of the events a resumed stream can no longer have. */
export interface GapEvent {
  event: 'gap';
  lastEventId: number;
  oldestEventId: number | null;
  message: string;
}

export interface EventsOptions {
  signal?: AbortSignal;
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: number | string;
  /** Reconnect (with Last-Event-ID) when the stream ends or the server is away. Default true. */
  reconnect?: boolean;
  /** Called each time the stream is open: events committed from then on reach the iterator. */
  onOpen?: () => void;
}
