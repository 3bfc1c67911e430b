// Identification from real header values (SPEC §5): JWT (base64url, dotted claims), Basic,
// framework user, client IP from proxy headers; and default redaction of what identified them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startApp, request, jwt, capturedAtLeast } from '../support/app.mjs';
import { enable, flush, stats } from '../../dist/index.mjs';

const collector = await startTestCollector();
const app = await startApp((req, res) => {
  if (req.headers['x-framework-user']) req.user = JSON.parse(req.headers['x-framework-user']);
  res.end('ok');
});
after(() => Promise.all([app.close(), collector.close()]));
const options = { applicationId: 'id', baseUri: collector.url, batchSize: 1000, batchMaxTime: 60_000 };
enable(options);

async function eventFor(headers, path = '/who') {
  const t = Math.random().toString(36).slice(2); // not digits: 12–19 of them may pass Luhn and be redacted
  const since = stats().captured;
  await request(`${app.url}${path}${path.includes('?') ? '&' : '?'}t=${t}`, { headers });
  await capturedAtLeast(stats, since);
  await flush();
  const event = collector.events.find((e) => new URL(e.request.uri).searchParams.get('t') === t);
  assert.ok(event, `event arrived: ${JSON.stringify(stats())} ${collector.events.slice(-3).map((e) => e.request.uri)} want ${t}`);
  return event;
}

test('Bearer JWT: the sub claim, base64url payload with - and _', async () => {
  const token = jwt({ sub: 'user>>>???~~~', name: 'x' });
  assert.match(token.split('.')[1], /[-_]/, 'the payload uses base64url characters');
  const event = await eventFor({ authorization: `Bearer ${token}` });
  assert.equal(event.user_id, 'user>>>???~~~');
  assert.equal(event.request.headers.authorization, 'Bearer <redacted>');
});

test('a dotted claim path and a custom header list, first present wins', async () => {
  enable({ ...options, authorizationHeaderName: 'x-missing, X-Token, authorization', authorizationUserIdField: 'user.id' });
  try {
    const event = await eventFor({ 'x-token': jwt({ user: { id: 4242 } }), authorization: `Bearer ${jwt({ user: { id: 'not-me' } })}` });
    assert.equal(event.user_id, '4242');
    assert.equal(event.request.headers['x-token'], '<redacted>', 'the header that identified the user is redacted too');
  } finally {
    enable(options);
  }
});

test('Basic: the user name', async () => {
  const event = await eventFor({ authorization: `Basic ${Buffer.from('alice@acme.com:s3cret:with:colons').toString('base64')}` });
  assert.equal(event.user_id, 'alice@acme.com');
  assert.equal(event.request.headers.authorization, 'Basic <redacted>');
  assert.ok(!JSON.stringify(event).includes('s3cret'));
});

test('a malformed token identifies no one and breaks nothing', async () => {
  for (const value of ['Bearer not.a.jwt', 'Bearer ', 'Bearer a.%%%.c', 'Digest abc', 'Basic', `Bearer ${jwt(['array'])}`]) {
    const event = await eventFor({ authorization: value });
    assert.equal(event.user_id, undefined, value);
  }
});

test('the framework user (req.user.id, else .sub) beats the Authorization header', async () => {
  assert.equal((await eventFor({ 'x-framework-user': '{"id":"fw-1"}', authorization: `Bearer ${jwt({ sub: 'tok' })}` })).user_id, 'fw-1');
  assert.equal((await eventFor({ 'x-framework-user': '{"sub":"fw-sub"}' })).user_id, 'fw-sub');
});

test('identifyUser beats everything', async () => {
  enable({ ...options, identifyUser: () => 'hooked' });
  try {
    assert.equal((await eventFor({ 'x-framework-user': '{"id":"fw-1"}', authorization: `Bearer ${jwt({ sub: 'tok' })}` })).user_id, 'hooked');
  } finally {
    enable(options);
  }
});

const ipCases = [
  [{ 'x-forwarded-for': 'unknown, 203.0.113.9:4711, 10.0.0.1' }, '203.0.113.9'],
  [{ 'x-client-ip': '198.51.100.1', 'x-forwarded-for': '203.0.113.9' }, '198.51.100.1'],
  [{ 'x-client-ip': 'garbage', 'x-forwarded-for': '203.0.113.9' }, '203.0.113.9'],
  [{ 'cf-connecting-ip': '2001:db8::1' }, '2001:db8::1'],
  [{ 'x-real-ip': '192.0.2.44' }, '192.0.2.44'],
  [{ forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https, for=192.0.2.60' }, '2001:db8:cafe::17'],
  [{ forwarded: 'for=unknown, for=192.0.2.60;by=203.0.113.43' }, '192.0.2.60'],
  [{}, '127.0.0.1'],
];
for (const [headers, ip] of ipCases) {
  test(`client IP ${JSON.stringify(headers)} → ${ip}`, async () => {
    assert.equal((await eventFor(headers)).request.ip_address, ip);
  });
}

test('redaction: cookies keep their names, x-api-key and secrets in the query are hidden', async () => {
  const event = await eventFor({ cookie: 'sid=abc123; theme=dark', 'x-api-key': 'key-live-999' }, '/r?api_key=live-999&page=2&card=4111 1111 1111 1111');
  assert.equal(event.request.headers.cookie, 'sid=<redacted>; theme=<redacted>');
  assert.equal(event.request.headers['x-api-key'], '<redacted>');
  const uri = new URL(event.request.uri);
  assert.equal(uri.searchParams.get('api_key'), '<redacted>');
  assert.equal(uri.searchParams.get('page'), '2');
  assert.equal(uri.searchParams.get('card'), '<redacted>');
  assert.ok(!JSON.stringify(event).includes('live-999'));
});

test('redactSensitive: false keeps values as sent', async () => {
  enable({ ...options, redactSensitive: false });
  try {
    const event = await eventFor({ authorization: 'Bearer plain-token' });
    assert.equal(event.request.headers.authorization, 'Bearer plain-token');
  } finally {
    enable(options);
  }
});
