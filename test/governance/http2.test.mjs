// Enforcement on node:http2's compatibility API under the real preload (the governance fixture
// app with FRAMEWORK=http2): blocked requests never reach the handler, a body held for a rule
// reaches it unchanged, a user rule applies through the same hooks, and (Node 22+, where HTTP/2
// is captured) the events carry blocked_by.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';

const captured = Number(process.versions.node.split('.')[0]) >= 22;
const route = (value, more = []) => [{ conditions: [{ path: 'request.route', value }, ...more] }];
const collector = await startTestCollector({
  rules: [
    { _id: 'secret-items', type: 'regex', block: true, regex_config: route('^/items/secret'), response: { status: 403, headers: { 'X-Rule': 'secret' }, body: { error: 'secret' } } },
    { _id: 'denied-op', type: 'regex', block: true, regex_config: route('^/json$', [{ path: 'request.body.op', value: '^deny$' }]), response: { status: 422, body: { error: 'op {{op|denied}}' } } },
    { _id: 'bad-user', type: 'user', block: true, applied_to: 'matching', response: { status: 402, body: { error: '{{0}} must pay' } } },
  ],
  config: { sample_rate: 100, user_rules: { 'u-bad': [{ rules: 'bad-user', values: { 0: 'u-bad' } }] } },
});
const app = startChild(join(FIXTURES, 'governance', 'app.mjs'), {
  env: { FRAMEWORK: 'http2', MOESIF_APPLICATION_ID: 'gov-h2', MOESIF_BASE_URI: collector.url, MOESIF_BATCH_MAX_TIME: '50', MOESIF_CONFIG: join(FIXTURES, 'governance', 'moesif.config.mjs') },
});
after(() => Promise.all([app.kill(), collector.close()]));
const session = http2.connect(`http://127.0.0.1:${await app.port()}`);
session.on('error', () => {});
after(() => session.close());

async function request(path, { method = 'GET', headers = {}, body } = {}) {
  const stream = session.request({ ':path': path, ':method': method, ...headers });
  stream.end(body);
  const response = await new Promise((ok, fail) => stream.once('response', ok).once('error', fail));
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { status: response[':status'], headers: response, body: Buffer.concat(chunks) };
}
const json = (r) => JSON.parse(r.body.toString('utf8'));

// The rules arrive a moment after start.
for (let i = 0; (await request('/items/secret')).status !== 403; i++) {
  if (i > 300) throw new Error(`rules never enforced; stderr: ${app.stderr}`);
  await new Promise((r) => setTimeout(r, 10));
}

test('blocked requests never reach the handler; others pass unchanged', async () => {
  const seen = json(await request('/count')).handled;
  const blocked = await request('/items/secret/1', { headers: { 'x-test': 'h2-blocked' } });
  assert.equal(blocked.status, 403);
  assert.equal(blocked.headers['x-rule'], 'secret');
  assert.deepEqual(json(blocked), { error: 'secret' });
  const denied = await request('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'deny' }) });
  assert.equal(denied.status, 422);
  assert.deepEqual(json(denied), { error: 'op denied' });
  const payer = await request('/items', { headers: { 'x-user': 'u-bad' } });
  assert.equal(payer.status, 402);
  assert.deepEqual(json(payer), { error: 'u-bad must pay' });
  assert.equal(json(await request('/count')).handled, seen, 'no blocked request reached the handler');

  const items = await request('/items', { headers: { 'x-user': 'u-good' } });
  assert.equal(items.status, 200);
  assert.deepEqual(json(items), { route: 'items' });
  const allowed = await request('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'allow', n: 1 }) });
  assert.equal(allowed.status, 201);
  assert.deepEqual(json(allowed), { got: { op: 'allow', n: 1 } }, 'the held body reached the handler whole');
  const bytes = randomBytes(300_000);
  const digest = await request('/digest', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  assert.deepEqual(json(digest), { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
});

test('the events of blocked requests carry blocked_by', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  await collector.waitFor((c) => c.events.some((e) => e.request.headers['x-test'] === 'h2-blocked'), 10_000, 'the blocked event');
  const event = collector.events.find((e) => e.request.headers['x-test'] === 'h2-blocked');
  assert.equal(event.blocked_by, 'secret-items');
  assert.equal(event.response.status, 403);
  assert.deepEqual(event.response.body, { error: 'secret' });
  await collector.waitFor((c) => c.events.some((e) => e.blocked_by === 'bad-user'), 10_000, 'the user-rule event');
  assert.equal(collector.events.find((e) => e.blocked_by === 'bad-user').user_id, 'u-bad');
});
