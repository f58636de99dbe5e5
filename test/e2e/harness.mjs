// Test harness for the dashboard's end-to-end suite: a real `spool serve` on a free loopback
// port with its data in a temp dir, an HTTP client for the public API, and Debian's chromium
// driven by playwright-core (from ui/node_modules; `npx playwright install` cannot work here and
// is never needed). Loopback only: the browser is started with every background-networking
// feature off.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
const require = createRequire(join(root, 'ui/package.json'));
const { chromium } = require('playwright-core');

export const spoolBinary = process.env.SPOOL_BINARY || join(root, 'build/dev/src/spool');
export const shotsDir = process.env.SPOOL_E2E_SCREENSHOTS || join(root, 'build/e2e-screenshots');

export const ADMIN = 'e2e-admin-token-0123456789abcdef';
export const READER = 'e2e-reader-token-0123456789abcdef';

export class Server {
  constructor({ auth = true, port = 0, dataDir } = {}) {
    this.dir = dataDir ? dirname(dataDir) : mkdtempSync(join(tmpdir(), 'spool-e2e-'));
    this.data = dataDir || join(this.dir, 'data');
    this.auth = auth;
    this.port = port;
    this.log = '';
  }
  async start() {
    const args = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data', this.data];
    if (this.auth) {
      const cfg = join(this.dir, 'spool.toml');
      writeFileSync(cfg, `[[tokens]]\ntoken = "${ADMIN}"\nroles = ["admin"]\n\n[[tokens]]\ntoken = "${READER}"\nroles = ["reader"]\n`);
      args.push('--config', cfg);
    }
    this.proc = spawn(spoolBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
    const seen = new Promise((resolveUrl, reject) => {
      const onData = (b) => {
        this.log += b.toString();
        const m = this.log.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
        if (m) {
          this.url = m[1];
          this.port = Number(m[2]);
          resolveUrl();
        }
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', (code) => reject(new Error(`spool serve exited with ${code}:\n${this.log}`)));
      setTimeout(() => reject(new Error(`spool serve did not start in 10 s:\n${this.log}`)), 10000);
    });
    await seen;
    return this;
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 8000);
    await done;
    clearTimeout(t);
  }
  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
  // The public API as an admin (or the given token).
  async api(method, path, body, tok = this.auth ? ADMIN : '') {
    const headers = { 'Content-Type': 'application/json' };
    if (tok) headers.Authorization = `Bearer ${tok}`;
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }
  async ok(method, path, body) {
    const r = await this.api(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }
  // A dead job, made the way a real one dies: one attempt, reserved, failed permanently.
  async deadJob(queue, payload = { n: 1 }) {
    const { id } = await this.ok('POST', '/v1/jobs', { type: queue, payload, max_attempts: 1 });
    const r = await this.ok('POST', '/v1/reserve', { queues: [queue], max: 1, worker: 'e2e' });
    const job = r.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`reserve of ${queue} did not hand out ${id}`);
    await this.ok('POST', `/v1/jobs/${id}/fail`, { lease: job.lease, error: { message: 'SMTP 550 mailbox unavailable', kind: 'permanent' } });
    return id;
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A page that is signed in with `tok` (the token put in sessionStorage before any script runs,
// as the sign-in form would), collecting page errors so a test can assert there were none.
export async function openPage(browser, { tok, colorScheme = 'light', viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport });
  if (tok) await context.addInitScript((t) => sessionStorage.setItem('spool.token', t), tok);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.setDefaultTimeout(10000);
  return page;
}

export async function shot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

function serverEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SPOOL_')) delete env[k];
  return env;
}
