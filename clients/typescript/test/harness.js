// Test harness: a real `spool serve` on a free loopback port with its data in a temp dir, with
// an admin token in its environment, stopped by PID (SIGTERM, then SIGKILL after 8 s).
// SPOOL_BINARY names the binary; default the worktree's build/dev/src/spool.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const spoolBinary =
  process.env.SPOOL_BINARY || resolve(here, '../../../build/dev/src/spool');
export const TOKEN = 'ts-client-admin-token-0123456789';

export class Server {
  constructor({ token = TOKEN } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'spool-ts-'));
    this.token = token;
    this.log = '';
  }
  async start() {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('SPOOL_')) delete env[k];
    if (this.token) env.SPOOL_TOKEN = this.token;
    this.proc = spawn(
      spoolBinary,
      ['serve', '--listen', '127.0.0.1:0', '--data', join(this.dir, 'data'), '--log-level', 'info'],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    await new Promise((resolveUrl, reject) => {
      const t = setTimeout(() => reject(new Error(`spool serve did not start in 10 s:\n${this.log}`)), 10000);
      const onData = (b) => {
        this.log += b.toString();
        const m = this.log.match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
        if (m && !this.url) {
          this.url = m[1];
          clearTimeout(t);
          resolveUrl();
        }
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`spool serve exited with ${code}:\n${this.log}`));
      });
    });
    return this;
  }
  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 8000);
      await done;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` every 20 ms until it returns a truthy value, at most `ms`. */
export async function eventually(check, ms = 5000, what = 'the condition') {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A fault-injecting proxy in front of the real server: `fault(req)` returns a status to answer
 * instead of forwarding (with Retry-After: 0 on a 503), 'drop' to destroy the connection, {status, body} to answer that, 'hang'
 * to never answer, or
 * undefined to forward. Counts requests by "METHOD path".
 */
export async function faultProxy(target, fault) {
  const seen = [];
  const settles = [];
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${req.url.split('?')[0]}`;
    seen.push(key);
    const f = fault(req, seen);
    if (f === undefined && key === 'POST /v1/settle') {
      // Settle bodies are kept (parsed) for tests that look at how outcomes were batched.
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => settles.push(JSON.parse(Buffer.concat(chunks).toString())));
    }
    if (f === 'hang') return; // never answers
    if (f === 'drop') {
      req.socket.destroy();
      return;
    }
    if (f && typeof f === 'object') {
      res.writeHead(f.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(f.body));
      return;
    }
    if (typeof f === 'number') {
      res.writeHead(f, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { code: f === 503 ? 'unavailable' : 'injected', message: `injected ${f}` } }));
      return;
    }
    const u = new URL(target);
    const up = http.request(
      { host: u.hostname, port: u.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    settles,
    /** Cuts every open connection (the client sees them drop). */
    dropAll: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
