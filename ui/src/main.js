// The dashboard's shell: sign-in, the page router (hash routes, so the server serves only / and
// /assets/), the live connection and its indicator. Pages live in pages/*.js; each renders into
// <main> and answers a function that stops whatever it started.
import './style.css';
import { ApiError, EventStream, get, prefetch, setToken, token } from './api.js';
import { h } from './dom.js';
import { renderSignIn } from './pages/signin.js';
import { renderOverview } from './pages/overview.js';
import { preloadChart } from './chart.js';
import { renderJobs } from './pages/jobs.js';
import { renderJob } from './pages/job.js';
import { renderDead } from './pages/dead.js';
import { renderQueues, renderQueue } from './pages/queues.js';
import { renderSchedules } from './pages/schedules.js';

const NAV = [
  ['#/', 'Overview'],
  ['#/jobs', 'Jobs'],
  ['#/dead', 'Dead letters'],
  ['#/queues', 'Queues'],
  ['#/schedules', 'Schedules'],
];

const app = {
  me: null, // {role, roles, auth} from GET /v1/whoami
  stream: new EventStream(),
  cleanup: null,
};

function canAct() {
  return !!app.me && app.me.roles.includes('admin');
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(
    ...NAV.map(([href, label]) => {
      const here = active === href;
      return h('a', { href, 'aria-current': here ? 'page' : null }, label);
    }),
  );
}

function renderWho() {
  const who = document.getElementById('who');
  const out = document.getElementById('signout');
  if (!app.me) {
    who.textContent = '';
    out.hidden = true;
    return;
  }
  who.textContent = app.me.auth ? `Signed in as ${app.me.role}` : 'Auth is off';
  who.title = canAct() ? 'This token may act on jobs and queues' : 'This token may only look';
  out.hidden = !app.me.auth;
}

async function whoami(tok) {
  try {
    return await get('/v1/whoami', { tok });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      // An older server without /v1/whoami: probe a read, offer no actions.
      await get('/v1/stats', { tok });
      return { role: 'reader', roles: ['reader'], auth: !!tok };
    }
    throw e;
  }
}

async function signIn(tok) {
  app.me = await whoami(tok);
  setToken(tok);
  renderWho();
  app.stream.stop();
  app.stream = new EventStream();
  app.stream.onState(renderLive);
  app.stream.start();
}

function renderLive(state) {
  const el = document.getElementById('live');
  el.dataset.state = state;
  el.textContent = { live: 'Live', connecting: 'Connecting…', lost: 'Connection lost — reconnecting…', busy: 'Live (busy server: refreshing every second)' }[state] || state;
}

function route() {
  if (app.cleanup) {
    try {
      app.cleanup();
    } catch (e) {
      console.error(e);
    }
    app.cleanup = null;
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  const { parts, query } = parseHash();
  if (!app.me) {
    renderNav(null);
    app.cleanup = renderSignIn(main, {
      onToken: async (tok) => {
        await signIn(tok);
        if (parts[0] === 'signin') location.hash = '#/';
        else route();
      },
    });
    return;
  }
  const ctx = { main, query, parts, canAct: canAct(), stream: app.stream, rerender: route };
  const [page, arg] = parts;
  const pages = {
    undefined: ['#/', renderOverview],
    jobs: arg ? ['#/jobs', renderJob] : ['#/jobs', renderJobs],
    dead: ['#/dead', renderDead],
    queues: arg ? ['#/queues', renderQueue] : ['#/queues', renderQueues],
    schedules: ['#/schedules', renderSchedules],
  };
  const entry = pages[page];
  if (!entry) {
    renderNav(null);
    main.append(h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  renderNav(entry[0]);
  ctx.arg = arg;
  app.cleanup = entry[1](main, ctx) || null;
}

function signOut() {
  setToken('');
  app.me = null;
  app.stream.stop();
  document.getElementById('live').textContent = '';
  renderWho();
  location.hash = '#/';
  route();
}
document.getElementById('signout').addEventListener('click', signOut);
window.addEventListener('spool:unauthorized', () => {
  if (app.me) signOut();
});

window.addEventListener('hashchange', route);
// The skip link must not change the hash (the router owns it): it only moves focus.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main').focus();
});

// Start: try the stored token (or none: auth may be off); the sign-in page otherwise.
// The overview's data and its chart library are asked for at once, beside /v1/whoami.
(async () => {
  const { parts, query } = parseHash();
  if (parts.length === 0) {
    prefetch('/v1/queues');
    prefetch(`/v1/metrics/summary?hours=${query.get('hours') === '24' ? 24 : 1}`);
    preloadChart();
  }
  try {
    await signIn(token());
  } catch (e) {
    app.me = null;
    if (!(e instanceof ApiError && (e.status === 401 || e.status === 403))) console.warn(e);
  }
  route();
})();
