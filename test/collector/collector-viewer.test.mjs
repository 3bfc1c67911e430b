// The viewer page in a real browser (headless Chromium driven by playwright-core): live updates,
// filters, an event's detail, the other tabs, and hostile captured bodies shown only as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeEvent, post, startQuiet, tempDir } from './support/helpers.mjs';

const CHROMIUM = '/usr/bin/chromium';
const b64 = (s) => Buffer.from(s).toString('base64');

test('the viewer in headless Chromium', { timeout: 60_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y chromium) before the tests`);
    t.skip(`${CHROMIUM} not installed (apt-get install -y chromium); required when CI is set`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const c = await startQuiet(t, { dataDir: tempDir(t) });

  const SCRIPT = '<script>window.__pwned=1</script>';
  const IMG = '<img src=x onerror="window.__pwned=1">';
  await post(c.url, '/v1/events/batch', [
    makeEvent({ request: { verb: 'GET', uri: 'https://shop.test/orders?page=2', body: undefined, transfer_encoding: undefined }, response: { status: 200, body: { orders: [{ id: 7, total: 12.5 }] } }, user_id: 'ann' }),
    makeEvent({ request: { verb: 'POST', uri: 'https://shop.test/login', body: { user: 'ben' } }, response: { status: 401, body: { error: 'bad password' } }, user_id: 'ben' }),
    makeEvent({
      request: { verb: 'POST', uri: `https://shop.test/comments?q=${IMG}`, headers: { 'content-type': 'text/html', 'x-evil': IMG }, body: b64(SCRIPT + IMG), transfer_encoding: 'base64' },
      response: { status: 200, body: { echo: SCRIPT, img: IMG } },
      user_id: SCRIPT,
      company_id: IMG,
      metadata: { note: IMG },
    }),
    makeEvent({ request: { verb: 'PUT', uri: 'https://shop.test/upload', body: b64String(Buffer.from(Array.from({ length: 40 }, (_, i) => i))), transfer_encoding: 'base64' }, response: { status: 204, body: undefined } }),
  ]);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });

  await page.goto(`${c.url}/`);
  const rows = page.locator('#grid-body tr');
  await rows.nth(3).waitFor();
  assert.equal(await rows.count(), 4);
  assert.equal(await rows.first().locator('.c-verb').textContent(), 'PUT', 'newest first');
  await page.locator('#live.on').waitFor();

  // live: an event sent after the page loaded appears on top without a reload
  await post(c.url, '/v1/events', makeEvent({ request: { verb: 'PATCH', uri: 'https://shop.test/live-one' }, response: { status: 202 } }));
  await page.locator('#grid-body tr:first-child .c-uri', { hasText: '/live-one' }).waitFor({ timeout: 5000 });
  assert.equal(await rows.count(), 5);
  assert.equal(await page.locator('#count-events').textContent(), '5');

  // filters narrow the list (and a live event that does not match stays out)
  await page.fill('#f-q', 'orders');
  await page.waitForFunction(() => document.querySelectorAll('#grid-body tr').length === 1);
  assert.match(await rows.first().locator('.c-uri').textContent(), /\/orders\?page=2/);
  await post(c.url, '/v1/events', makeEvent({ request: { uri: 'https://shop.test/not-matching' } }));
  await post(c.url, '/v1/events', makeEvent({ request: { uri: 'https://shop.test/orders/live' } }));
  await page.waitForFunction(() => document.querySelectorAll('#grid-body tr').length === 2);
  assert.match(await rows.first().locator('.c-uri').textContent(), /\/orders\/live/);
  await page.fill('#f-q', '');
  await page.selectOption('#f-status', '4xx');
  await page.waitForFunction(() => document.querySelectorAll('#grid-body tr').length === 1);
  assert.equal(await rows.first().locator('.c-status').textContent(), '401');
  await page.fill('#f-user', 'ben');
  await page.selectOption('#f-status', '');
  await page.waitForFunction(() => location.hash.includes('user=ben') && !location.hash.includes('status'));
  await page.waitForFunction(() => document.querySelectorAll('#grid-body tr').length === 1);
  assert.match(await rows.first().locator('.c-user').textContent(), /^ben$/);
  await page.click('#f-clear');
  await page.waitForFunction(() => document.querySelectorAll('#grid-body tr').length === 7);

  // the detail shows headers and the body pretty-printed
  await page.click('#grid-body tr:has-text("/orders?page=2")');
  await page.locator('#detail pre.body', { hasText: '"total": 12.5' }).first().waitFor();
  assert.match(await page.locator('#detail').textContent(), /"orders": \[/);

  // hostile bodies, headers, URI and ids are text, never markup
  await page.click('#grid-body tr:has-text("/comments")');
  const detail = page.locator('#detail');
  await detail.locator('pre.body', { hasText: SCRIPT + IMG }).first().waitFor();
  assert.ok(await page.getByText(SCRIPT + IMG, { exact: true }).first().isVisible(), 'the base64 body is decoded and shown as text');
  assert.match(await detail.textContent(), /base64, decoded as UTF-8 text/);
  assert.ok(await detail.getByText(`"echo": "${SCRIPT}"`).first().isVisible());
  assert.ok(await detail.getByText(IMG, { exact: true }).first().isVisible(), 'a header value with markup is text');
  assert.ok(await page.locator('#grid-body').getByText(SCRIPT, { exact: true }).isVisible(), 'a user id with markup is text');
  const dom = await page.evaluate(() => ({
    pwned: window.__pwned,
    imgs: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
  }));
  assert.equal(dom.pwned, undefined);
  assert.equal(dom.imgs, 0);
  assert.deepEqual(dom.scripts, ['/app.js']);

  // a binary body is a hex preview
  await page.click('#grid-body tr:has-text("/upload")');
  await detail.locator('pre.body', { hasText: '00000000  00 01 02 03' }).first().waitFor();
  assert.match(await detail.textContent(), /binary · 40 bytes · hex preview/);

  // the other tabs
  await post(c.url, '/v1/users', { user_id: 'tab-user', company_id: 'tab-co', metadata: { email: IMG } });
  await post(c.url, '/v1/companies', { company_id: 'tab-co' });
  await post(c.url, '/v1/subscriptions', { subscription_id: 'tab-sub', company_id: 'tab-co', status: 'active' });
  await post(c.url, '/v1/actions', { action_name: 'Clicked Buy', request: { uri: 'https://shop.test/buy' } });
  for (const [tab, text] of [['users', 'tab-user'], ['companies', 'tab-co'], ['subscriptions', 'tab-sub'], ['actions', 'Clicked Buy']]) {
    await page.click(`.tab[data-tab="${tab}"]`);
    await page.locator('#grid-body tr', { hasText: text }).first().waitFor();
  }
  await page.click('.tab[data-tab="users"]');
  await page.click('#grid-body tr:has-text("tab-user")');
  await detail.locator('pre.body', { hasText: '"email"' }).first().waitFor();
  await page.click('button:has-text("Events of this user")');
  await page.waitForFunction(() => document.querySelector('#f-user').value === 'tab-user');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  if (process.env.MOESIF_VIEWER_SCREENSHOT) {
    await page.click('#f-clear');
    await page.click('#grid-body tr:has-text("/login")');
    await page.locator('#detail pre.body', { hasText: 'bad password' }).first().waitFor();
    await page.screenshot({ path: process.env.MOESIF_VIEWER_SCREENSHOT });
  }
  assert.deepEqual(problems, [], 'no script errors, CSP violations or dialogs');
});

function b64String(buf) {
  return buf.toString('base64');
}
