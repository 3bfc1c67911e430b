import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { core, prng } from './support.mjs';

const { normalizeHeaders, clientIp, claimFromJwt, userFromCredentials, valueAtPath, isoTime, maskJson, maskHeaders, Sampling, packSync, splitPacked } = core;

test('headers: names lower-cased, repeats joined with ", ", set-cookie kept as a list, every raw form', () => {
  const expected = { 'content-type': 'a/b', accept: 'x, y', 'set-cookie': ['a=1', 'b=2'] };
  assert.deepEqual(normalizeHeaders(['Content-Type', 'a/b', 'Accept', 'x', 'ACCEPT', 'y', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2']), expected);
  assert.deepEqual(normalizeHeaders('HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nAccept: x\r\nAccept: y\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n'), expected);
  assert.deepEqual(normalizeHeaders({ 'Content-Type': 'a/b', accept: ['x', 'y'], 'set-cookie': ['a=1', 'b=2'], 'content-length': 5 }), { ...expected, 'content-length': '5' });
  assert.deepEqual(normalizeHeaders(undefined), {});
});

test('client ip: first valid address of the trusted headers in order, else the socket', () => {
  assert.equal(clientIp({ 'x-forwarded-for': 'unknown, 203.0.113.7, 10.0.0.1' }, '127.0.0.1'), '203.0.113.7');
  assert.equal(clientIp({ 'x-real-ip': '198.51.100.2', 'x-forwarded-for': '203.0.113.7' }, '127.0.0.1'), '203.0.113.7');
  assert.equal(clientIp({ forwarded: 'for="[2001:db8::1]:4711";proto=https' }, '127.0.0.1'), '2001:db8::1');
  assert.equal(clientIp({ 'x-client-ip': 'garbage' }, '::1'), '::1');
});

test('JWT claims and Basic credentials, never verified', () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'none' })}.${b64({ sub: 'u1', user: { id: 42 } })}.sig`;
  assert.equal(claimFromJwt(jwt, 'sub'), 'u1');
  assert.equal(claimFromJwt(jwt, 'user.id'), '42');
  assert.equal(claimFromJwt('not.a.jwt', 'sub'), undefined);
  assert.equal(userFromCredentials(`Bearer ${jwt}`, 'sub'), 'u1');
  assert.equal(userFromCredentials(`Basic ${Buffer.from('ann:secret').toString('base64')}`, 'sub'), 'ann');
  assert.equal(valueAtPath({ a: { b: [1, { c: 'd' }] } }, 'a.b.1.c'), 'd');
});

test('isoTime equals Date#toISOString for random times, its per-second cache included', () => {
  const rand = prng(3);
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 20_000; i++) {
    t += rand.int(3) === 0 ? rand.int(86_400_000 * 40) : rand.int(1500);
    const ms = rand.int(50) === 0 ? -rand.int(1e12) : t;
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test('masks: header names removed, JSON keys removed at any depth', () => {
  const headers = { 'x-secret': '1', keep: '2' };
  maskHeaders(headers, ['x-secret']);
  assert.deepEqual(headers, { keep: '2' });
  const body = { a: 1, ssn: 'x', inner: [{ ssn: 'y', b: 2 }] };
  maskJson(body, ['ssn']);
  assert.deepEqual(body, { a: 1, inner: [{ b: 2 }] });
});

test('sampling precedence: matching regex rule, then user, then company, then sample_rate; weight floor(100/rate)', () => {
  const sampling = new Sampling();
  const ev = (user, company, uri = 'https://h/x') => ({ request: { uri, verb: 'GET', headers: {} }, user_id: user, company_id: company });
  assert.equal(sampling.rateFor(ev()), 100);
  sampling.apply({ sample_rate: 50, user_sample_rate: { u: 10 }, company_sample_rate: { c: 20, u2c: 30 }, regex_config: [{ conditions: [{ path: 'request.route', value: '^/health' }], sample_rate: 0 }, { conditions: [{ path: 'request.route', value: '(' }], sample_rate: 1 }] });
  assert.equal(sampling.rateFor(ev('u', 'c', 'https://h/health')), 0);
  assert.equal(sampling.rateFor(ev('u', 'c')), 10);
  assert.equal(sampling.rateFor(ev('other', 'c')), 20);
  assert.equal(sampling.rateFor(ev(undefined, undefined)), 50);
  assert.equal(sampling.weightFor(ev('u', 'c', 'https://h/health')), 0);
  let kept = 0;
  for (let i = 0; i < 2000; i++) {
    const w = sampling.weightFor(ev('u'));
    if (w) {
      kept++;
      assert.equal(w, 10);
    }
  }
  assert.ok(kept > 100 && kept < 320, `about 10 % kept (${kept})`);
});

test('packed batches: gzip of the JSON array, ends by byte, a split keeps every event once (non-ASCII too)', () => {
  const jsons = Array.from({ length: 7 }, (_, i) => JSON.stringify({ i, text: i % 2 ? 'é中😀' : 'plain' }));
  const packed = packSync(jsons);
  assert.equal(packed.count, 7);
  assert.deepEqual(JSON.parse(gunzipSync(packed.body)), jsons.map((j) => JSON.parse(j)));
  const [a, b] = splitPacked(packed);
  assert.equal(a.count + b.count, 7);
  assert.deepEqual([...JSON.parse(gunzipSync(a.body)), ...JSON.parse(gunzipSync(b.body))], jsons.map((j) => JSON.parse(j)));
  const [a1, a2] = splitPacked(a);
  assert.deepEqual([...JSON.parse(gunzipSync(a1.body)), ...JSON.parse(gunzipSync(a2.body))], jsons.slice(0, a.count).map((j) => JSON.parse(j)));
});
