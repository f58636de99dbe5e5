// @spool/client: a typed client for the Spool job server, a worker, and a webhook verifier.
export { Client, type ClientOptions } from './client.js';
export {
  Worker,
  type WorkerOptions,
  type WorkerJob,
  type WorkerEvents,
  type Handler,
  type Handlers,
  type AnyWorkerJob,
} from './worker.js';
export {
  verifyWebhook,
  signWebhook,
  type WebhookHeaders,
  type VerifyWebhookOptions,
  type VerifiedWebhook,
} from './webhook.js';
export { handlePush, type HandlePushOptions, type PushDelivery } from './push.js';
export {
  SpoolError,
  RetryError,
  PermanentError,
  SnoozeError,
  LeaseLostError,
  ShutdownError,
  WebhookVerificationError,
} from './errors.js';
export type * from './types.js';
