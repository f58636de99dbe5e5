// The dashboard, end to end: Debian's chromium (playwright-core) against a real `spool serve`
// with an admin and a reader token. Every test is bounded in time; screenshots of each page go
// to build/e2e-screenshots (SPOOL_E2E_SCREENSHOTS). Run with scripts/test-e2e.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, READER, Server, launchBrowser, openPage, shot } from './harness.mjs';

const T = { timeout: 60000 };
let server;
let browser;

before(async () => {
  server = await new Server().start();
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  if (server) {
    await server.stop();
    server.cleanup();
  }
});

async function queueCounts(name) {
  return (await server.ok('GET', `/v1/queues/${name}`)).counts;
}

test('the dashboard is served at / with its assets, public and cacheable', T, async () => {
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(res.headers.get('content-security-policy'), /default-src 'self'/);
  const html = await res.text();
  const js = html.match(/src="(\/assets\/[^"]+\.js)"/);
  assert.ok(js, `index.html names its script: ${html.slice(0, 400)}`);
  const asset = await fetch(server.url + js[1]);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type'), /^text\/javascript/);
  assert.match(asset.headers.get('cache-control'), /immutable/);
  assert.equal((await fetch(`${server.url}/assets/nope.js`)).status, 404);
});

test('sign in: an unknown token is refused, the admin token opens the overview', T, async () => {
  const page = await openPage(browser);
  await page.goto(server.url);
  await page.getByLabel('Token').waitFor();
  await shot(page, 'signin');
  await page.getByLabel('Token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('That token is not known to this server.').waitFor();
  await page.getByLabel('Token').fill(ADMIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByText('Signed in as admin').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('spool.token')), ADMIN);
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookies');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Token').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('spool.token')), null);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the overview shows a queue\'s counts change live as jobs are enqueued over the API', T, async () => {
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(server.url);
  await page.locator('#live[data-state="live"]').waitFor();
  await page.evaluate(() => { window.__notReloaded = true; });
  await server.ok('POST', '/v1/jobs', { type: 'live_mail', payload: { n: 1 } });
  const cell = page.locator('tr[data-queue="live_mail"] td[data-state="queued"]');
  await cell.getByText('1', { exact: true }).waitFor();
  await server.ok('POST', '/v1/jobs/batch', { jobs: [1, 2, 3, 4].map((n) => ({ type: 'live_mail', payload: { n } })) });
  await cell.getByText('5', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page did not reload');
  // The number links to the jobs behind it.
  assert.equal(await cell.locator('a').getAttribute('href'), '#/jobs?queue=live_mail&state=queued');
  await shot(page, 'overview');
  await cell.locator('a').click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  await page.locator('table.jobs tbody tr').nth(4).waitFor();
  assert.equal(await page.locator('table.jobs tbody tr').count(), 5);
  await shot(page, 'jobs');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a burst of events switches the page to refreshing each second, and the counts still follow', T, async () => {
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(server.url);
  await page.locator('#live[data-state="live"]').waitFor();
  await server.ok('POST', '/v1/jobs/batch', { jobs: Array.from({ length: 1000 }, (_, n) => ({ type: 'burst', payload: { n } })) });
  await page.locator('#live[data-state="busy"]').waitFor();
  await page.locator('tr[data-queue="burst"] td[data-state="queued"]').getByText('1,000', { exact: true }).waitFor();
  await server.ok('POST', '/v1/jobs', { type: 'burst', payload: {} });
  await page.locator('tr[data-queue="burst"] td[data-state="queued"]').getByText('1,001', { exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a dead job opens with its error and is retried from its page', T, async () => {
  const id = await server.deadJob('dead_one', { to: 'ana@example.com', items: [1, 2, { deep: true }] });
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(`${server.url}/#/jobs/${id}`);
  await page.locator('#job-state .badge').getByText('dead').waitFor();
  await page.getByText('permanent: SMTP 550 mailbox unavailable').waitFor();
  await page.getByText('"ana@example.com"').waitFor();
  await shot(page, 'job-dead');
  await page.getByRole('button', { name: 'Retry job' }).click();
  await page.locator('#job-state .badge').getByText('queued').waitFor();
  assert.equal((await server.ok('GET', `/v1/jobs/${id}`)).state, 'queued');
  assert.equal(await page.getByRole('button', { name: 'Retry job' }).count(), 0, 'a queued job offers no retry');
  await page.getByRole('button', { name: 'Cancel job' }).waitFor();
  await shot(page, 'job-queued');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('bulk retry of a dead-letter queue asks first, stating the count', T, async () => {
  for (let i = 0; i < 3; i++) await server.deadJob('dlq_mail', { i });
  assert.equal((await queueCounts('dlq_mail')).dead, 3);
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(`${server.url}/#/dead?queue=dlq_mail`);
  await page.locator('table.jobs tbody tr').nth(2).waitFor();
  await page.getByRole('button', { name: 'Retry all 3' }).click();
  const dialog = page.locator('dialog#confirm');
  await dialog.getByText('Retry 3 dead jobs?').waitFor();
  await shot(page, 'dead-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await queueCounts('dlq_mail')).dead, 3, 'cancelling the confirmation changes nothing');
  await page.getByRole('button', { name: 'Retry all 3' }).click();
  await dialog.getByRole('button', { name: 'Retry 3 dead jobs' }).click();
  await page.getByText('Retried 3 jobs.').waitFor();
  const counts = await queueCounts('dlq_mail');
  assert.equal(counts.dead, 0);
  assert.equal(counts.queued, 3);
  await shot(page, 'dead-retried');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('purging a dead-letter queue asks first, stating the count, and deletes only dead jobs', T, async () => {
  for (let i = 0; i < 2; i++) await server.deadJob('dlq_purge', { i });
  await server.ok('POST', '/v1/jobs', { type: 'dlq_purge', payload: { alive: true } });
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(`${server.url}/#/dead?queue=dlq_purge`);
  await page.getByRole('button', { name: 'Delete all 2' }).click();
  const dialog = page.locator('dialog#confirm');
  await dialog.getByText('Delete 2 dead jobs?').waitFor();
  await dialog.getByText('It cannot be undone.').waitFor();
  await dialog.getByRole('button', { name: 'Delete 2 dead jobs' }).click();
  await page.getByText('Deleted 2 jobs.').waitFor();
  const counts = await queueCounts('dlq_purge');
  assert.equal(counts.dead, 0);
  assert.equal(counts.queued, 1, 'the queued job is untouched');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a queue is paused and resumed from the queues page', T, async () => {
  await server.ok('POST', '/v1/jobs', { type: 'pause_me', payload: {} });
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(`${server.url}/#/queues`);
  const row = page.locator('tr[data-queue="pause_me"]');
  await row.getByRole('button', { name: 'Pause queue pause_me' }).click();
  await row.locator('.badge.paused').waitFor();
  assert.equal((await server.ok('GET', '/v1/queues/pause_me')).paused, true);
  await shot(page, 'queues');
  await row.getByRole('button', { name: 'Resume queue pause_me' }).click();
  await row.getByRole('button', { name: 'Pause queue pause_me' }).waitFor();
  assert.equal((await server.ok('GET', '/v1/queues/pause_me')).paused, false);
  await page.goto(`${server.url}/#/queues/pause_me`);
  await page.locator('#queue-status').getByText('running').waitFor();
  await shot(page, 'queue');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a reader token sees everything and is offered no action', T, async () => {
  const id = await server.deadJob('reader_view');
  await server.ok('POST', '/v1/queues/reader_view/pause');
  const page = await openPage(browser, { tok: READER });
  const noActions = async (where) => {
    assert.equal(await page.locator('main button:not(.link)').count(), 0, `no buttons on ${where}`);
  };
  await page.goto(server.url);
  await page.getByText('Signed in as reader').waitFor();
  await page.locator('tr[data-queue="reader_view"] td[data-state="dead"]').getByText('1', { exact: true }).waitFor();
  await noActions('the overview');
  await page.goto(`${server.url}/#/jobs/${id}`);
  await page.locator('#job-state .badge').getByText('dead').waitFor();
  await noActions('a dead job');
  await shot(page, 'reader-job');
  await page.goto(`${server.url}/#/dead?queue=reader_view`);
  await page.locator('table.jobs tbody tr').first().waitFor();
  await noActions('the dead letters');
  await page.goto(`${server.url}/#/queues`);
  await page.locator('tr[data-queue="reader_view"] .badge.paused').waitFor();
  await noActions('the queues');
  await page.goto(`${server.url}/#/schedules`);
  await page.locator('main .notice, main table, main p.muted:not(:has-text("Loading"))').first().waitFor();
  await noActions('the schedules');
  // And the server agrees: the reader may not act.
  assert.equal((await server.api('POST', `/v1/jobs/${id}/retry`, {}, READER)).status, 403);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('schedules: listed with pause, resume and trigger now (or a calm note without them)', T, async (t) => {
  const probe = await server.api('GET', '/v1/schedules');
  const page = await openPage(browser, { tok: ADMIN });
  if (probe.status === 404) {
    await page.goto(`${server.url}/#/schedules`);
    await page.getByText('Schedules are not available on this server.').waitFor();
    await shot(page, 'schedules-unavailable');
    await page.context().close();
    t.skip('this server has no /v1/schedules yet: checked only the page that says so');
    return;
  }
  const created = await server.ok('POST', '/v1/schedules', {
    name: 'nightly_digest', cron: '0 3 * * *', timezone: 'Europe/Lisbon', job: { type: 'digest', payload: { kind: 'nightly' } },
  });
  await page.goto(`${server.url}/#/schedules`);
  const row = page.locator('tr[data-schedule="nightly_digest"]');
  await row.getByText('0 3 * * *').waitFor();
  await row.getByText('Europe/Lisbon').waitFor();
  await row.getByRole('button', { name: 'next 5' }).click();
  await row.locator('ol.fires li').nth(4).waitFor();
  await row.getByRole('button', { name: 'Pause' }).click();
  await page.locator('tr[data-schedule="nightly_digest"] .badge.paused').waitFor();
  assert.equal((await server.ok('GET', `/v1/schedules/${created.id}`)).paused, true);
  await page.locator('tr[data-schedule="nightly_digest"]').getByRole('button', { name: 'Resume' }).click();
  await page.locator('tr[data-schedule="nightly_digest"]').getByRole('button', { name: 'Pause' }).waitFor();
  await page.locator('tr[data-schedule="nightly_digest"]').getByRole('button', { name: 'Trigger now' }).click();
  await page.getByText('Triggered nightly_digest: job').waitFor();
  const jobs = await server.ok('GET', '/v1/jobs?type=digest');
  assert.equal(jobs.jobs.length, 1);
  await shot(page, 'schedules');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the jobs pages keep one cursor in the URL; Previous, First page and back follow', T, async () => {
  await server.ok('POST', '/v1/jobs/batch', { jobs: Array.from({ length: 120 }, (_, n) => ({ type: 'paged', payload: { n } })) });
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(`${server.url}/#/jobs?queue=paged`);
  const firstId = () => page.locator('#jobs-list tbody tr').first().getAttribute('data-id');
  const rows = page.locator('#jobs-list tbody tr');
  await rows.first().waitFor();
  const page1 = await firstId();
  const pages = [page1];
  for (let i = 0; i < 2; i++) {
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForFunction((prev) => document.querySelector('#jobs-list tbody tr')?.dataset.id !== prev, pages[pages.length - 1]);
    pages.push(await firstId());
    const params = new URLSearchParams(page.url().split('?')[1]);
    assert.deepEqual([...params.keys()].sort(), ['cursor', 'queue'], `one cursor, no trail: ${page.url()}`);
  }
  assert.equal(await rows.count(), 20, 'the third page holds the last 20 of 120');
  assert.equal(await page.getByRole('link', { name: 'Next →' }).count(), 0);
  const page3Url = page.url();
  await page.getByRole('link', { name: '← Previous' }).click();
  await page.waitForFunction((id) => document.querySelector('#jobs-list tbody tr')?.dataset.id === id, pages[1]);
  await page.getByRole('link', { name: '← Previous' }).click();
  await page.waitForFunction((id) => document.querySelector('#jobs-list tbody tr')?.dataset.id === id, pages[0]);
  assert.ok(!page.url().includes('cursor='), `the first page has no cursor: ${page.url()}`);
  assert.equal(await page.getByRole('link', { name: '← Previous' }).count(), 0);
  // The browser's back walks the pages visited, newest first.
  await page.goBack();
  await page.waitForFunction((id) => document.querySelector('#jobs-list tbody tr')?.dataset.id === id, pages[1]);
  await page.goBack();
  await page.waitForFunction((id) => document.querySelector('#jobs-list tbody tr')?.dataset.id === id, pages[2]);
  assert.equal(page.url(), page3Url);
  await page.context().close();
  // A bookmarked page in a new tab knows no way back but offers the first page.
  const fresh = await openPage(browser, { tok: ADMIN });
  await fresh.goto(page3Url);
  await fresh.getByRole('link', { name: 'First page' }).waitFor();
  assert.equal(await fresh.getByRole('link', { name: '← Previous' }).count(), 0);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(fresh.errors, []);
  await fresh.context().close();
});

test('the overview\'s chart and its legend stay inside their box', T, async () => {
  await server.ok('POST', '/v1/jobs', { type: 'chart_box', payload: {} });
  for (const viewport of [{ width: 1280, height: 860 }, { width: 390, height: 844 }]) {
    const page = await openPage(browser, { tok: ADMIN, viewport });
    await page.goto(server.url);
    await page.locator('#throughput .u-legend').waitFor();
    const out = await page.evaluate(() => {
      const box = document.getElementById('throughput').getBoundingClientRect();
      const parts = [...document.querySelectorAll('#throughput .uplot, #throughput .u-legend, #throughput canvas')];
      return parts.map((el) => {
        const r = el.getBoundingClientRect();
        return { cls: el.className || el.tagName, left: r.left - box.left, right: box.right - r.right, bottom: box.bottom - r.bottom };
      }).filter((r) => r.left < 0 || r.right < 0 || r.bottom < 0);
    });
    assert.deepEqual(out, [], `parts of the chart outside its box at ${viewport.width}px`);
    await page.context().close();
  }
});

test('phone width and dark mode stay legible (screenshots)', T, async () => {
  const page = await openPage(browser, { tok: ADMIN, colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await page.goto(server.url);
  await page.locator('main[data-rendered="true"][data-summary="true"]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await shot(page, 'overview-phone-dark');
  await page.context().close();
});

test('the page says when the connection is lost and reconnects by itself', T, async () => {
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(server.url);
  await page.locator('#live[data-state="live"]').waitFor();
  const port = server.port;
  await server.stop();
  await page.locator('#live[data-state="lost"]').getByText('Connection lost').waitFor();
  await shot(page, 'connection-lost');
  server = await new Server({ port, dataDir: server.data }).start();
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 20000 });
  await server.ok('POST', '/v1/jobs', { type: 'after_restart', payload: {} });
  await page.locator('tr[data-queue="after_restart"] td[data-state="queued"]').getByText('1', { exact: true }).waitFor();
  await page.context().close();
});

test('with many queues the overview builds the rows below the first screen after it, and they follow live', T, async () => {
  // Rows past the first 50 are built after the first paint (ui/src/pages/overview.js); names
  // that sort last land there.
  const names = Array.from({ length: 60 }, (_, i) => `zz_many_${String(i).padStart(2, '0')}`);
  await server.ok('POST', '/v1/jobs/batch', { jobs: names.map((queue) => ({ type: 'many', queue, payload: {} })) });
  const page = await openPage(browser, { tok: ADMIN });
  await page.goto(server.url);
  await page.locator('main[data-all-rows="true"]').waitFor();
  await page.locator('#live[data-state="live"]').waitFor();
  const { queues } = await server.ok('GET', '/v1/queues');
  assert.equal(await page.locator('#queues-table tbody tr').count(), queues.length);
  const last = page.locator('tr[data-queue="zz_many_59"] td[data-state="queued"]');
  await last.getByText('1', { exact: true }).waitFor();
  await server.ok('POST', '/v1/jobs', { type: 'many', queue: 'zz_many_59', payload: {} });
  await last.getByText('2', { exact: true }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
