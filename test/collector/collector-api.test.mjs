// The local collector speaks the Moesif collector API (SPEC §3) and shows what it got in /api/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { getJson, makeEvent, post, startQuiet, tempDir } from './support/helpers.mjs';

test('events sent gzip and plain, single and batch, show up field by field', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const one = makeEvent({ user_id: 'alice', request: { uri: 'https://api.acme.com/single?x=1', verb: 'PUT' } });
  const r1 = await post(c.url, '/v1/events', one, { gzip: false });
  assert.equal(r1.status, 201);
  assert.ok(r1.headers.get('x-moesif-config-etag'), 'event responses carry X-Moesif-Config-ETag');

  const batch = [
    makeEvent({ direction: 'Outgoing', user_id: 'bob', response: { status: 404 } }),
    makeEvent({ request: { verb: 'GET', uri: 'https://api.acme.com/health' }, response: { status: 500 }, company_id: 'globex' }),
  ];
  const r2 = await post(c.url, '/v1/events/batch', batch);
  assert.equal(r2.status, 201);
  assert.deepEqual(r2.json, {});

  const list = await getJson(c.url, '/api/events');
  assert.equal(list.status, 200);
  assert.equal(list.body.total, 3);
  assert.equal(list.body.stored, 3);
  assert.deepEqual(list.body.events.map((e) => e.id), [3, 2, 1], 'newest first');
  const [health, outgoing, single] = list.body.events;
  assert.equal(single.verb, 'PUT');
  assert.equal(single.uri, 'https://api.acme.com/single?x=1');
  assert.equal(single.status, 201);
  assert.equal(single.duration_ms, 8);
  assert.equal(single.user_id, 'alice');
  assert.equal(single.company_id, 'c1');
  assert.equal(single.direction, 'Incoming');
  assert.equal(single.time, one.request.time);
  assert.equal(single.ip_address, '1.2.3.4');
  assert.equal(single.api_version, '1.2');
  assert.equal(outgoing.direction, 'Outgoing');
  assert.equal(outgoing.status, 404);
  assert.equal(health.status, 500);
  assert.equal(health.company_id, 'globex');

  // The detail is the event exactly as sent, plus who sent it.
  const detail = await getJson(c.url, '/api/events/1');
  assert.equal(detail.status, 200);
  assert.deepEqual(detail.body.event, one);
  assert.equal(detail.body.app_id, 'test-app-id');
  assert.equal(detail.body.id, 1);
  const d2 = await getJson(c.url, '/api/events/2');
  assert.deepEqual(d2.body.event, batch[0], 'gzip batch stored exactly');
  assert.equal((await getJson(c.url, '/api/events/99')).status, 404);
});

test('the /api/events filters narrow the list', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const events = [
    makeEvent({ request: { verb: 'GET', uri: 'https://shop.test/orders/1', time: '2026-01-01T10:00:00.000Z' }, response: { status: 200, time: '2026-01-01T10:00:00.020Z' }, user_id: 'ann', company_id: 'acme' }),
    makeEvent({ request: { verb: 'POST', uri: 'https://shop.test/orders', time: '2026-01-01T11:00:00.000Z' }, response: { status: 201, time: '2026-01-01T11:00:00.100Z' }, user_id: 'ben', company_id: 'acme' }),
    makeEvent({ request: { verb: 'GET', uri: 'https://api.github.test/repos', time: '2026-01-01T12:00:00.000Z' }, response: { status: 404, time: '2026-01-01T12:00:00.050Z' }, direction: 'Outgoing', user_id: 'ann', company_id: 'initech' }),
    makeEvent({ request: { verb: 'DELETE', uri: 'https://shop.test/orders/2', time: '2026-01-01T13:00:00.000Z' }, response: { status: 503, time: '2026-01-01T13:00:01.000Z' }, user_id: 'cat', company_id: 'initech' }),
  ];
  assert.equal((await post(c.url, '/v1/events/batch', events)).status, 201);
  const ids = async (query) => {
    const r = await getJson(c.url, `/api/events?${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.events.map((e) => e.id);
  };
  assert.deepEqual(await ids(''), [4, 3, 2, 1]);
  assert.deepEqual(await ids('direction=Outgoing'), [3]);
  assert.deepEqual(await ids('direction=incoming'), [4, 2, 1]);
  assert.deepEqual(await ids('verb=GET'), [3, 1]);
  assert.deepEqual(await ids('verb=get,delete'), [4, 3, 1]);
  assert.deepEqual(await ids('status=2xx'), [2, 1]);
  assert.deepEqual(await ids('status=4xx,5xx'), [4, 3]);
  assert.deepEqual(await ids('status=404'), [3]);
  assert.deepEqual(await ids('q=ORDERS'), [4, 2, 1]);
  assert.deepEqual(await ids('q=orders/&user=ann'), [1]);
  assert.deepEqual(await ids('company=initech'), [4, 3]);
  assert.deepEqual(await ids('from=2026-01-01T11:00:00Z&to=2026-01-01T12:30:00Z'), [3, 2]);
  assert.deepEqual(await ids(`from=${Date.parse('2026-01-01T12:00:00Z')}`), [4, 3]);
  // paging: newest first, then older with before=, newer with after=
  const page1 = await getJson(c.url, '/api/events?limit=2');
  assert.deepEqual(page1.body.events.map((e) => e.id), [4, 3]);
  assert.equal(page1.body.total, 4);
  assert.equal(page1.body.next_before, 3);
  const page2 = await getJson(c.url, '/api/events?limit=2&before=3');
  assert.deepEqual(page2.body.events.map((e) => e.id), [2, 1]);
  assert.equal(page2.body.next_before, null);
  assert.deepEqual(await ids('after=2'), [4, 3]);
  const total = await getJson(c.url, '/api/events?status=5xx');
  assert.equal(total.body.total, 1);
  assert.equal(total.body.stored, 4);
  // a bad filter is a clear 400
  const bad = await getJson(c.url, '/api/events?from=yesterday');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /from/);
  assert.equal((await getJson(c.url, '/api/events?status=6xx')).status, 400);
});

test('users, companies, subscriptions: single and batch, merged by id, latest wins', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  assert.equal((await post(c.url, '/v1/users', { user_id: 'u1', company_id: 'c1', metadata: { email: 'a@x.test', name: { first: 'Ann' } } })).status, 201);
  assert.equal(
    (await post(c.url, '/v1/users/batch', [
      { user_id: 'u1', metadata: { plan: 'pro', name: { last: 'Lee' } }, session_token: null },
      { user_id: 'u2', metadata: { email: 'b@x.test' } },
    ], { gzip: false })).status,
    201,
  );
  const users = await getJson(c.url, '/api/users');
  assert.equal(users.body.total, 2);
  assert.deepEqual(users.body.items.map((u) => u.id), ['u2', 'u1'], 'most recently updated first');
  const u1 = (await getJson(c.url, '/api/users/u1')).body;
  assert.equal(u1.updates, 2);
  assert.deepEqual(u1.data, { user_id: 'u1', company_id: 'c1', metadata: { email: 'a@x.test', plan: 'pro', name: { first: 'Ann', last: 'Lee' } } });
  assert.equal((await getJson(c.url, '/api/users?q=b@x')).body.total, 1);

  assert.equal((await post(c.url, '/v1/companies', { company_id: 'c1', company_domain: 'acme.test', metadata: { seats: 5 } })).status, 201);
  assert.equal((await post(c.url, '/v1/companies/batch', [{ company_id: 'c1', metadata: { seats: 9 } }, { company_id: 'c2' }])).status, 201);
  const c1 = (await getJson(c.url, '/api/companies/c1')).body;
  assert.deepEqual(c1.data, { company_id: 'c1', company_domain: 'acme.test', metadata: { seats: 9 } });
  assert.equal((await getJson(c.url, '/api/companies')).body.total, 2);

  const sub = { subscription_id: 'sub_1', company_id: 'c1', status: 'active', current_period_start: '2026-01-01T00:00:00Z' };
  assert.equal((await post(c.url, '/v1/subscriptions', sub)).status, 201);
  assert.equal((await post(c.url, '/v1/subscriptions/batch', [{ ...sub, status: 'cancelled' }, { subscription_id: 'sub_2', company_id: 'c2', status: 'trialing' }])).status, 201);
  const subs = (await getJson(c.url, '/api/subscriptions')).body;
  assert.equal(subs.total, 2);
  assert.equal(subs.items.find((s) => s.id === 'sub_1').data.status, 'cancelled');

  // required fields: a clear 400 and nothing stored, also when one item of a batch is wrong
  const missing = await post(c.url, '/v1/users', { metadata: {} });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /user_id/);
  const half = await post(c.url, '/v1/users/batch', [{ user_id: 'u3' }, { name: 'x' }]);
  assert.equal(half.status, 400);
  assert.match(half.json.error, /item 1: user_id is required/);
  assert.equal((await getJson(c.url, '/api/users')).body.total, 2, 'nothing of the bad batch stored');
  assert.equal((await post(c.url, '/v1/subscriptions', { subscription_id: 's', company_id: 'c1' })).status, 400);
});

test('actions: single and batch, listed newest first with their detail', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const a1 = { action_name: 'Clicked Sign Up', user_id: 'u1', request: { time: '2026-01-01T10:00:00.000Z', uri: 'https://app.test/signup' }, metadata: { button: 'blue' } };
  assert.equal((await post(c.url, '/v1/actions', a1)).status, 201);
  assert.equal(
    (await post(c.url, '/v1/actions/batch', [
      { action_name: 'Viewed Pricing', company_id: 'c9', request: { uri: 'https://app.test/pricing' } },
      { action_name: 'Purchased', user_id: 'u2', request: { uri: 'https://app.test/checkout' } },
    ])).status,
    201,
  );
  const list = (await getJson(c.url, '/api/actions')).body;
  assert.equal(list.total, 3);
  assert.deepEqual(list.items.map((a) => a.action_name), ['Purchased', 'Viewed Pricing', 'Clicked Sign Up']);
  assert.equal(list.items[2].uri, 'https://app.test/signup');
  assert.equal(list.items[2].user_id, 'u1');
  assert.deepEqual((await getJson(c.url, '/api/actions?q=pricing')).body.items.map((a) => a.id), [2]);
  const detail = (await getJson(c.url, '/api/actions/1')).body;
  assert.deepEqual(detail.action, a1);
  assert.equal((await post(c.url, '/v1/actions', { action_name: 'x' })).status, 400, 'request.uri is required');
});

test('GET /v1/config and /v1/rules answer as Moesif does', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const cfg = await fetch(`${c.url}/v1/config`, { headers: { 'x-moesif-application-id': 'x' } });
  assert.equal(cfg.status, 200);
  assert.deepEqual(await cfg.json(), { sample_rate: 100, user_sample_rate: {}, company_sample_rate: {}, regex_config: [], user_rules: {}, company_rules: {} });
  const etag = cfg.headers.get('x-moesif-config-etag');
  assert.match(etag, /^\w{8,}$/);
  const ev = await post(c.url, '/v1/events/batch', [makeEvent()]);
  assert.equal(ev.headers.get('x-moesif-config-etag'), etag, 'the same ETag on event responses: no refetch needed');
  const rules = await fetch(`${c.url}/v1/rules`);
  assert.equal(rules.status, 200);
  assert.deepEqual(await rules.json(), []);
  assert.ok(rules.headers.get('x-moesif-rules-tag'));
});

test('bad requests get clear errors', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const notJson = await post(c.url, '/v1/events/batch', null, { raw: Buffer.from('this is not json'), gzip: false });
  assert.equal(notJson.status, 400);
  assert.match(notJson.json.error, /not valid JSON/);
  const gzNoHeader = await post(c.url, '/v1/events/batch', null, { raw: gzipSync('[]'), gzip: false });
  assert.equal(gzNoHeader.status, 400);
  assert.match(gzNoHeader.json.error, /Content-Encoding: gzip/);
  const badGzip = await post(c.url, '/v1/events/batch', null, { raw: Buffer.from('[]'), gzip: false, headers: { 'content-encoding': 'gzip' } });
  assert.equal(badGzip.status, 400);
  const notArray = await post(c.url, '/v1/events/batch', makeEvent());
  assert.equal(notArray.status, 400);
  assert.match(notArray.json.error, /array/);
  const arrayToSingle = await post(c.url, '/v1/events', [makeEvent()]);
  assert.equal(arrayToSingle.status, 400);
  const noTime = await post(c.url, '/v1/events', makeEvent({ request: { time: undefined } }));
  assert.equal(noTime.status, 400);
  assert.match(noTime.json.error, /request\.time/);
  const empty = await post(c.url, '/v1/events', null, { raw: Buffer.alloc(0), gzip: false });
  assert.equal(empty.status, 400);
  // over the 50 MB cap once decompressed (a small gzip of zeros), and raw
  const bomb = await post(c.url, '/v1/events/batch', null, { raw: Buffer.alloc(51 * 1024 * 1024, 0x20) });
  assert.equal(bomb.status, 413);
  const big = await post(c.url, '/v1/events/batch', null, { raw: Buffer.alloc(51 * 1024 * 1024, 0x20), gzip: false });
  assert.equal(big.status, 413);
  assert.equal((await fetch(`${c.url}/v1/events`)).status, 405);
  assert.equal((await fetch(`${c.url}/v1/nothing`, { method: 'POST', body: '{}' })).status, 404);
  assert.equal((await getJson(c.url, '/api/events')).body.stored, 0, 'nothing stored by any of these');
  // the collector still works
  assert.equal((await post(c.url, '/v1/events', makeEvent())).status, 201);
});

test('the viewer is served with a strict CSP and only to loopback Host names', async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const page = await fetch(`${c.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  assert.match(html, /<script src="\/app\.js"><\/script>/);
  assert.doesNotMatch(html, /<script>[^<]/, 'no inline script');
  const js = await fetch(`${c.url}/app.js`);
  assert.match(js.headers.get('content-type'), /javascript/);
  const source = await js.text();
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/, 'the page script never parses HTML');
  assert.equal((await fetch(`${c.url}/app.css`)).status, 200);
  // A page elsewhere that rebinds its name to 127.0.0.1 sends its own Host: no data for it.
  const { request } = await import('node:http');
  const withHost = (host) =>
    new Promise((resolve, reject) => {
      const req = request(`${c.url}/api/events`, { headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await withHost('attacker.example'), 403);
  assert.equal(await withHost('attacker.example:80'), 403);
  assert.equal(await withHost(`localhost:${c.port}`), 200);
  assert.equal(await withHost(`127.0.0.1:${c.port}`), 200);
  assert.equal(await withHost(`[::1]:${c.port}`), 200);
  // ingestion takes any Host (agents may name the collector as they like)
  const ingest = await post(c.url, '/v1/events', makeEvent(), { headers: { host: 'collector.internal' } });
  assert.equal(ingest.status, 201);
});

test('the viewer script parses', async () => {
  const { APP_JS } = (await import('./support/helpers.mjs')).cli();
  const { Script } = await import('node:vm');
  assert.doesNotThrow(() => new Script(APP_JS, { filename: 'app.js' }));
});
