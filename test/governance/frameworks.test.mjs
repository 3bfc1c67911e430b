// Enforcement under the real preload on node:http, Express 5, Fastify and Koa: a blocked request
// never reaches the framework, and a body held for a rule reaches the framework's own parser
// (and a raw reader) unchanged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';

const APP = join(FIXTURES, 'governance', 'app.mjs');
const CONFIG = join(FIXTURES, 'governance', 'moesif.config.mjs');
const route = (value, more = []) => [{ conditions: [{ path: 'request.route', value }, ...more] }];

const collector = await startTestCollector({
  rules: [
    { _id: 'secret-items', type: 'regex', block: true, regex_config: route('^/items/secret'), response: { status: 403, headers: { 'X-Rule': 'secret' }, body: { error: 'secret' } } },
    { _id: 'denied-op', type: 'regex', block: true, regex_config: route('^/json$', [{ path: 'request.body.op', value: '^deny$' }]), response: { status: 422, body: { error: 'op {{op|denied}}' } } },
    { _id: 'digest-field', type: 'regex', block: true, regex_config: route('^/digest$', [{ path: 'request.body.x', value: '^y$' }]), response: { status: 400, body: {} } },
    { _id: 'bad-user', type: 'user', block: true, applied_to: 'matching', response: { status: 402, body: { error: '{{0}} must pay' } } },
  ],
  config: { sample_rate: 100, user_rules: { 'u-bad': [{ rules: 'bad-user', values: { 0: 'u-bad' } }] } },
});
after(() => collector.close());

const json = (r) => JSON.parse(r.body.toString('utf8'));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

for (const framework of ['node', 'express', 'fastify', 'koa']) {
  test(`${framework}: blocked requests never reach the app; held bodies reach its parser unchanged`, async (t) => {
    const child = startChild(APP, {
      env: { FRAMEWORK: framework, MOESIF_APPLICATION_ID: 'gov', MOESIF_BASE_URI: collector.url, MOESIF_BATCH_MAX_TIME: '50', MOESIF_CONFIG: CONFIG },
    });
    t.after(() => child.kill());
    const url = `http://127.0.0.1:${await child.port()}`;
    const fetchesBefore = collector.state.rulesFetches;
    // the rules arrive a moment after start
    for (let i = 0; (await request(`${url}/items/secret`)).status !== 403; i++) {
      if (i > 300) throw new Error(`rules never enforced; stderr: ${child.stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(collector.state.rulesFetches > fetchesBefore - 1);
    const seen = json(await request(`${url}/count`)).handled;

    const blocked = await request(`${url}/items/secret/1`);
    assert.equal(blocked.status, 403);
    assert.equal(blocked.headers['x-rule'], 'secret');
    assert.deepEqual(json(blocked), { error: 'secret' });
    const denied = await request(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'deny' }) });
    assert.equal(denied.status, 422);
    assert.deepEqual(json(denied), { error: 'op denied' });
    const payer = await request(`${url}/items`, { headers: { 'x-user': 'u-bad' } });
    assert.equal(payer.status, 402);
    assert.deepEqual(json(payer), { error: 'u-bad must pay' });
    assert.equal(json(await request(`${url}/count`)).handled, seen, 'no blocked request reached the app');

    const items = await request(`${url}/items`, { headers: { 'x-user': 'u-good' } });
    assert.equal(items.status, 200);
    assert.deepEqual(json(items), { route: 'items' });
    const body = { op: 'allow', list: [1, 2, 3], text: 'é'.repeat(1000) };
    const parsed = await request(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(parsed.status, 201);
    assert.deepEqual(json(parsed), { got: body });
    const bytes = randomBytes(80_000);
    const digest = await request(`${url}/digest`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    assert.equal(digest.status, 200);
    assert.deepEqual(json(digest), { length: bytes.length, sha256: sha256(bytes) });
    assert.equal(json(await request(`${url}/count`)).handled, seen + 3);

    const isDenied = (e) => e.request.uri === `${url}/json` && e.response.status === 422;
    await collector.waitFor((c) => c.events.some(isDenied), 10_000, `the blocked event (${framework})`);
    const deniedEvents = collector.events.filter(isDenied);
    assert.equal(deniedEvents.length, 1);
    const [deniedEvent] = deniedEvents;
    assert.equal(deniedEvent.blocked_by, 'denied-op');
    assert.deepEqual(deniedEvent.request.body, { op: 'deny' });
    assert.equal(deniedEvent.response.status, 422);
    assert.deepEqual(deniedEvent.response.body, { error: 'op denied' });
  });
}
