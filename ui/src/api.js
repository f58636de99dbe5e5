// The dashboard's only way to the server: the public JSON API (docs/api.md), with the token from
// sessionStorage sent as a bearer header. No cookies, so there is no CSRF surface.

const TOKEN_KEY = 'spool.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function headers(extra = {}, tok = token()) {
  const h = { Accept: 'application/json', ...extra };
  if (tok) h.Authorization = `Bearer ${tok}`;
  return h;
}

// Calls the API; answers the parsed JSON (null for 204) or throws ApiError.
export async function api(method, path, body, { tok } = {}) {
  const init = { method, headers: headers({}, tok ?? token()), cache: 'no-store' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', `The server did not answer (${e.message}).`);
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.status === 401 && (tok ?? token())) {
    // The stored token is no longer known (the server's config changed): back to sign-in.
    window.dispatchEvent(new CustomEvent('spool:unauthorized'));
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(res.status, err.code || `http_${res.status}`,
      err.message || `${method} ${path} answered ${res.status}`, data);
  }
  return data;
}

// GETs started early (before sign-in is confirmed, so the first page does not wait for
// /v1/whoami): the next get() of the same path within 5 s takes the answer instead of asking
// again. Used once each.
const early = new Map();
export function prefetch(path) {
  const p = api('GET', path);
  p.catch(() => {});
  early.set(path, { p, at: Date.now() });
}

export const get = (path, opts) => {
  const e = !opts && early.get(path);
  if (e) {
    early.delete(path);
    if (Date.now() - e.at < 5000) return e.p;
  }
  return api('GET', path, undefined, opts);
};
export const post = (path, body) => api('POST', path, body ?? {});

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

// Live job events: GET /v1/events read with fetch streaming (EventSource cannot send the
// Authorization header, and a token never goes in a URL). Reconnects by itself with
// Last-Event-ID; tells listeners about the connection state and about gaps (events missed:
// reload what you show).
//
// A busy server makes thousands of events a second, far more than a page can show; reading
// them all costs the browser (and the server) for nothing. Past BUSY_RATE events a second the
// stream is closed and listeners get a {event: 'tick'} each second instead (state 'busy': pages
// re-read what they show, as they do after a burst of events); the stream is tried again after
// BUSY_RETRY_MS.
const BUSY_RATE = 200;
const BUSY_WINDOW_MS = 2000;
const BUSY_RETRY_MS = 30000;

export class EventStream {
  constructor() {
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.lastId = '';
    this.state = 'connecting';
    this.retryMs = 2000;
    this.controller = null;
    this.stopped = true;
  }
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }
  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }
  emit(ev) {
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch (e) {
        console.error(e);
      }
    }
  }
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop();
  }
  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }
  async loop() {
    while (!this.stopped) {
      this.busy = false;
      try {
        await this.connectOnce();
      } catch (e) {
        if (this.stopped) break;
      }
      if (this.stopped) break;
      if (this.busy) {
        await this.tickWhileBusy();
        continue;
      }
      this.setState('lost');
      await new Promise((r) => setTimeout(r, this.retryMs));
      if (!this.stopped) this.setState('connecting');
    }
  }
  async tickWhileBusy() {
    this.setState('busy');
    this.lastId = ''; // a resume would replay the backlog this avoids
    const until = Date.now() + BUSY_RETRY_MS;
    while (!this.stopped && Date.now() < until) {
      this.emit({ event: 'tick' });
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (!this.stopped) this.setState('connecting');
  }
  countForBusy() {
    const now = Date.now();
    if (now - this.windowStart > BUSY_WINDOW_MS) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > (BUSY_RATE * BUSY_WINDOW_MS) / 1000) {
      this.busy = true;
      this.controller.abort();
      return true;
    }
    return false;
  }
  async connectOnce() {
    this.windowStart = Date.now();
    this.windowCount = 0;
    this.controller = new AbortController();
    const h = headers({ Accept: 'text/event-stream' });
    if (this.lastId) h['Last-Event-ID'] = this.lastId;
    const res = await fetch('/v1/events', { headers: h, signal: this.controller.signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
    const resumed = this.lastId !== '';
    this.setState('live');
    if (resumed) this.emit({ event: 'reconnected' });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      // Frames end at a blank line (spool writes LF line ends only). One pass over the chunk and one slice at the end: slicing
      // after every frame would copy the rest of a big chunk once per frame.
      let from = 0;
      for (;;) {
        const end = buf.indexOf('\n\n', from);
        if (end < 0) break;
        this.frame(buf.slice(from, end));
        from = end + 2;
        if (this.countForBusy()) return;
      }
      if (from) buf = buf.slice(from);
    }
  }
  frame(text) {
    let id = null;
    let kind = 'message';
    const data = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') kind = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (id !== null) this.lastId = id;
    if (!data.length) return;
    let ev;
    try {
      ev = JSON.parse(data.join('\n'));
    } catch {
      return;
    }
    if (!ev.event) ev.event = kind;
    this.emit(ev);
  }
}
