// Compiled by `npm run build` (tsconfig.typetest.json, no output): each @ts-expect-error below
// must be an error, or tsc fails ("Unused '@ts-expect-error' directive").
import { Client, Worker, type Job } from '../src/index.js';

type Jobs = {
  send_email: { to: string };
  render_pdf: { documentId: string; pages?: number };
};

const client = new Client<Jobs>({ url: 'http://127.0.0.1:1' });

export async function producer() {
  await client.enqueue('send_email', { to: 'ana@example.com' });
  await client.enqueue('render_pdf', { documentId: 'doc-9' }, { priority: 5, delayMs: 10_000 });

  // @ts-expect-error a number where the payload wants a string
  await client.enqueue('send_email', { to: 1 });
  // @ts-expect-error a field the payload does not have
  await client.enqueue('send_email', { to: 'a', cc: 'b' });
  // @ts-expect-error a missing field
  await client.enqueue('render_pdf', { pages: 3 });
  // @ts-expect-error a type the client does not know
  await client.enqueue('send_sms', { to: 'a' });
  // @ts-expect-error snake_case options are not options
  await client.enqueue('send_email', { to: 'a' }, { dedupe_key: 'k' });

  await client.enqueueBatch([
    { type: 'send_email', payload: { to: 'a' }, dedupeKey: 'k1' },
    { type: 'render_pdf', payload: { documentId: 'd' } },
  ]);
  // @ts-expect-error a batch job whose payload belongs to another type
  await client.enqueueBatch([{ type: 'send_email', payload: { documentId: 'd' } }]);

  // A job read back is a union discriminated by its type.
  const job: Job<Jobs> = await client.getJob('x');
  if (job.type === 'send_email') {
    const to: string = job.payload.to;
    void to;
    // @ts-expect-error send_email payloads have no documentId
    void job.payload.documentId;
  }
  for await (const j of client.listJobs({ state: 'dead', tag: ['vip', 'eu'] })) {
    void j.maxAttempts;
  }
  // @ts-expect-error not a state
  client.listJobs({ state: 'failed' });
}

export function worker() {
  const w = new Worker(client, {
    queues: ['send_email'],
    concurrency: 5,
    handlers: {
      send_email: async (job) => {
        const to: string = job.payload.to;
        job.signal.throwIfAborted();
        return { sent: to };
      },
      render_pdf: (job) => {
        // @ts-expect-error render_pdf payloads have no `to`
        void job.payload.to;
      },
      // @ts-expect-error a handler for a type the client does not know
      send_sms: () => {},
    },
  });
  w.on('completed', (job, result) => {
    if (job.type === 'render_pdf') void job.payload.documentId;
    void result;
  });
  return w;
}

// An untyped client takes any type and payload.
export async function untyped() {
  const c = new Client();
  await c.enqueue('anything', { at: 1 });
  await c.enqueue('other', [1, 2, 3]);
}

export async function schedules() {
  await client.createSchedule({ name: 'd', cron: '0 8 * * *', job: { type: 'send_email', payload: { to: 'a' } } });
  // @ts-expect-error a schedule's job payload is typed too
  await client.createSchedule({ name: 'd', cron: '0 8 * * *', job: { type: 'send_email', payload: { to: 2 } } });
  // @ts-expect-error a schedule's job takes no dedupeKey
  await client.createSchedule({ name: 'd', everyMs: 1000, job: { type: 'send_email', payload: { to: 'a' }, dedupeKey: 'k' } });
}
