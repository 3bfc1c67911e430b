// Regex rules (SPEC §8): each condition path blocks what it should and nothing else, before the
// app's handler runs, with the rule's status, headers and body; held bodies reach the app
// unchanged; a blocked request is one event with blocked_by and the blocked response.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { startTestCollector } from '../support/collector.mjs';
import { request } from '../support/app.mjs';
import { FIXTURES } from '../support/child.mjs';
import { enable, stats } from '../../dist/index.mjs';
import { startRecordingApp, tagged, sha256, json } from './support.mjs';

const rule = (id, conditionGroups, response, block = true) => ({
  _id: id,
  type: 'regex',
  block,
  applied_to: 'matching',
  applied_to_unidentified: false,
  regex_config: conditionGroups.map((conditions) => ({ conditions: conditions.map(([path, value]) => ({ path, value })) })),
  response,
});

const RULES = [
  // a framing header in a rule is left out: the length is the body's
  rule('admin', [[['request.route', '^/admin']]], { status: 403, headers: { 'X-Blocked': 'admin area', 'Content-Length': '999' }, body: { error: 'admin is closed' } }),
  // AND: both conditions of the group
  rule('no-deletes', [[['request.verb', '^DELETE$'], ['request.route', '^/items/']]], { status: 405, body: { error: 'no deletes' } }),
  // OR: either group
  rule('scrapers', [[['request.ip_address', '^10\\.9\\.']], [['request.headers.x-client', 'scraper']]], { status: 429, headers: { 'Retry-After': '60' }, body: { error: 'slow down' } }),
  rule('graphql-op', [[['request.route', '^/graphql$'], ['request.body.operationName', '^DeleteAccount$']]], { status: 400, body: { errors: [{ message: '{{op|DeleteAccount}} is disabled' }] } }),
  rule('read-only-graphql', [[['request.route', '^/graphql-ro$'], ['request.body.query', '^\\s*mutation\\b']]], { status: 403, body: { errors: [{ message: 'read only' }] } }),
  rule('banned-tier', [[['request.route', '^/accounts'], ['request.body.account.tier', '^banned$']]], { status: 402, body: { error: 'pay up' } }),
  rule('deprecated', [[['request.route', '^/v1/']]], { headers: { 'X-API-Warn': 'v1 is deprecated', Deprecation: 'true' } }, false),
  rule('server-errors', [[['response.status', '^5\\d\\d$']]], { status: 500, headers: { 'X-Status-Rule': 'saw a 5xx' }, body: { never: 'sent' } }),
];

const collector = await startTestCollector({ rules: RULES });
const app = await startRecordingApp();
after(() => Promise.all([app.close(), collector.close()]));
enable({ applicationId: 'gov', baseUri: collector.url, batchMaxTime: 50 });
await collector.waitFor((c) => c.state.rulesFetches >= 1, 5_000, 'the rules fetch at start');
await waitUntilEnforcing();

/** The rules answer is parsed a moment after the collector sent it. */
async function waitUntilEnforcing() {
  for (let i = 0; i < 200; i++) {
    if ((await request(`${app.url}/admin/probe`)).status === 403) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('rules never enforced');
}

async function send(path, options = {}) {
  const t = tagged(path);
  const response = await request(app.url + t.path, options);
  return { ...response, tag: t.tag, handled: app.saw(t.tag) };
}

async function eventFor(tag) {
  await collector.waitFor((c) => c.events.some((e) => e.request.uri.includes(tag)), 10_000, `the event of ${tag}`).catch((err) => {
    err.message += `; agent stats at the timeout: ${JSON.stringify(stats())}`;
    throw err;
  });
  return collector.events.filter((e) => e.request.uri.includes(tag));
}

function assertBlocked(r, status, body) {
  assert.equal(r.status, status);
  assert.equal(r.handled, false, 'the handler never saw a blocked request');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(json(r), body);
  assert.equal(Number(r.headers['content-length']), r.body.length);
}

function assertPassed(r) {
  assert.equal(r.status, 200);
  assert.equal(r.handled, true, 'the handler saw the request');
}

test('a route rule blocks matching paths before the handler, with its status, headers and body', async () => {
  const blocked = await send('/admin/users');
  assertBlocked(blocked, 403, { error: 'admin is closed' });
  assert.equal(blocked.headers['x-blocked'], 'admin area');
  // a search: the pattern anchors at the start only, as written
  assertBlocked(await send('/administrator'), 403, { error: 'admin is closed' });
  const passed = await send('/api/admin');
  assertPassed(passed);
  assert.equal(passed.headers['x-blocked'], undefined);
  assertPassed(await send('/public'));
});

test('all conditions of a group must match (AND)', async () => {
  assertBlocked(await send('/items/1', { method: 'DELETE' }), 405, { error: 'no deletes' });
  assertPassed(await send('/items/1'));
  assertPassed(await send('/other/1', { method: 'DELETE' }));
});

test('any group may match (OR): client address or a header', async () => {
  const byIp = await send('/x', { headers: { 'x-forwarded-for': '10.9.1.1, 127.0.0.1' } });
  assertBlocked(byIp, 429, { error: 'slow down' });
  assert.equal(byIp.headers['retry-after'], '60');
  assertBlocked(await send('/x', { headers: { 'x-client': 'my-scraper-bot/2' } }), 429, { error: 'slow down' });
  assertPassed(await send('/x', { headers: { 'x-forwarded-for': '10.8.1.1', 'x-client': 'browser' } }));
});

test('GraphQL: the operationName of a JSON body; the app gets the same bytes when not blocked', async () => {
  const headers = { 'content-type': 'application/json' };
  const blocked = await send('/graphql', { method: 'POST', headers, body: JSON.stringify({ operationName: 'DeleteAccount', query: 'mutation DeleteAccount { x }' }) });
  assertBlocked(blocked, 400, { errors: [{ message: 'DeleteAccount is disabled' }] });
  const body = JSON.stringify({ operationName: 'GetAccount', query: 'query GetAccount { x }', variables: { id: 1 } });
  const passed = await send('/graphql', { method: 'POST', headers, body });
  assertPassed(passed);
  assert.equal(json(passed).text, body);
  // the same operation on another route: the route condition fails, nothing is held
  assertPassed(await send('/graphql2', { method: 'POST', headers, body: JSON.stringify({ operationName: 'DeleteAccount' }) }));
});

test('GraphQL: the query text, from a JSON body, an application/graphql body or a GET query string', async () => {
  const blocked = { errors: [{ message: 'read only' }] };
  assertBlocked(await send('/graphql-ro', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { drop }' }) }), 403, blocked);
  assertBlocked(await send('/graphql-ro', { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: '  mutation { drop }' }), 403, blocked);
  assertBlocked(await send(`/graphql-ro?query=${encodeURIComponent('mutation { drop }')}`), 403, blocked);
  assertPassed(await send(`/graphql-ro?query=${encodeURIComponent('{ items { id } }')}`));
  assertPassed(await send('/graphql-ro', { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: 'query { mutationCount }' }));
});

test('request.body.<dotted path> in JSON, gzip-encoded JSON and form bodies', async () => {
  const paid = { error: 'pay up' };
  const banned = JSON.stringify({ account: { tier: 'banned', id: 7 } });
  assertBlocked(await send('/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: banned }), 402, paid);
  const zipped = gzipSync(banned);
  assertBlocked(await send('/accounts', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: zipped }), 402, paid);
  assertBlocked(await send('/accounts', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'account.tier=banned&x=1' }), 402, paid);
  const ok = JSON.stringify({ account: { tier: 'gold' } });
  const passed = await send('/accounts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ok });
  assertPassed(passed);
  assert.equal(json(passed).text, ok);
  const passedZipped = await send('/accounts', { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(ok) });
  assertPassed(passedZipped);
  assert.equal(json(passedZipped).sha256, sha256(gzipSync(ok)), 'the app gets the encoded bytes as sent');
});

test('a held body reaches the app unchanged: chunked, binary, at and over the hold limit', async () => {
  for (const size of [1, 64 * 1024, 100_000, 150_000]) {
    const bytes = randomBytes(size);
    const t = tagged('/accounts/upload');
    const response = await new Promise((resolve, reject) => {
      const req = http.request(app.url + t.path, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      // several writes, so the server sees several chunks
      for (let at = 0; at < size; at += 16_384) req.write(bytes.subarray(at, at + 16_384));
      req.end();
    });
    assert.equal(response.status, 200, `size ${size}`);
    assert.equal(json(response).length, size);
    assert.equal(json(response).sha256, sha256(bytes), `size ${size}: same bytes`);
  }
});

test('a non-blocking rule adds its headers and the handler runs', async () => {
  const r = await send('/v1/things');
  assertPassed(r);
  assert.equal(r.headers['x-api-warn'], 'v1 is deprecated');
  assert.equal(r.headers.deprecation, 'true');
  const other = await send('/v2/things');
  assert.equal(other.headers['x-api-warn'], undefined);
});

test('a response.status rule adds its headers when the app writes that status, and never blocks', async () => {
  const failed = await send('/fail');
  assert.equal(failed.status, 503);
  assert.equal(failed.handled, true);
  assert.equal(failed.headers['x-status-rule'], 'saw a 5xx');
  assert.equal(json(failed).url.startsWith('/fail'), true, "the app's own body");
  const fine = await send('/fine');
  assertPassed(fine);
  assert.equal(fine.headers['x-status-rule'], undefined);
});

test('a blocked request is one event with blocked_by and the blocked response as sent', async () => {
  const r = await send('/admin/report?format=csv', { method: 'POST', headers: { 'content-type': 'application/json', 'x-client': 'browser' }, body: '{"a":1}' });
  assert.equal(r.status, 403);
  const events = await eventFor(r.tag);
  assert.equal(events.length, 1);
  const [e] = events;
  assert.equal(e.blocked_by, 'admin');
  assert.equal(e.direction, 'Incoming');
  assert.equal(e.request.verb, 'POST');
  assert.equal(e.request.uri, `${app.url}/admin/report?format=csv&${r.tag}`);
  assert.equal(e.request.headers['x-client'], 'browser');
  assert.deepEqual(e.request.body, { a: 1 });
  assert.equal(e.response.status, 403);
  assert.equal(e.response.headers['x-blocked'], 'admin area');
  assert.equal(e.response.headers['content-type'], 'application/json');
  assert.equal(e.response.headers['x-moesif-transaction-id'], r.headers['x-moesif-transaction-id']);
  assert.deepEqual(e.response.body, { error: 'admin is closed' });
  assert.equal(e.response.transfer_encoding, 'json');
});

test('a request that passes has no blocked_by, and a held body is in its event', async () => {
  const body = JSON.stringify({ operationName: 'GetAccount' });
  const r = await send('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assertPassed(r);
  const [e] = await eventFor(r.tag);
  assert.equal(e.blocked_by, undefined);
  assert.equal(e.response.status, 200);
  assert.deepEqual(e.request.body, { operationName: 'GetAccount' });
});

test('https servers are checked the same way', async (t) => {
  const certs = join(FIXTURES, 'certs');
  const cert = readFileSync(join(certs, 'cert.pem'));
  let handled = 0;
  const server = https.createServer({ key: readFileSync(join(certs, 'key.pem')), cert }, (req, res) => {
    handled++;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const get = (path) =>
    new Promise((resolve, reject) => {
      https.get(`https://localhost:${server.address().port}${path}`, { ca: cert, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      }).on('error', reject);
    });
  assert.deepEqual(await get('/admin/x'), { status: 403, body: '{"error":"admin is closed"}' });
  assert.equal(handled, 0);
  assert.deepEqual(await get('/public'), { status: 200, body: 'ok' });
  assert.equal(handled, 1);
});

test("Expect: 100-continue: blocked without the body when the app handles checkContinue; Node's own continue otherwise", async (t) => {
  const server = http.createServer((req, res) => res.end('app'));
  let checked = 0;
  server.on('checkContinue', (req, res) => {
    checked++;
    res.writeContinue();
    req.resume();
    req.on('end', () => res.end('continued'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const post = (path, base = `http://127.0.0.1:${server.address().port}`) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method: 'POST', headers: { expect: '100-continue', 'content-type': 'application/json' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      req.on('continue', () => req.end('{"account":{"tier":"banned"}}'));
      req.on('response', () => req.end());
      req.on('error', reject);
    });
  assert.deepEqual(await post('/admin/upload'), { status: 403, body: '{"error":"admin is closed"}' });
  assert.equal(checked, 0, "the app's checkContinue listener never ran");
  // a body rule cannot see the body of a checkContinue request: it goes to the app
  assert.deepEqual(await post('/accounts'), { status: 200, body: 'continued' });
  assert.equal(checked, 1);
  // without a checkContinue listener Node sends 100 Continue itself: the body is held and checked
  const blocked = await post('/accounts', app.url);
  assert.equal(blocked.status, 402);
  assert.deepEqual(JSON.parse(blocked.body), { error: 'pay up' });
});
