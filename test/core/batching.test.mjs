// Batches: size and time triggers, gzip, headers, and the event JSON field by field (SPEC §3).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startApp, request, echoJson, capturedAtLeast } from '../support/app.mjs';
import { enable, stats, flush } from '../../dist/index.mjs';
import { readFileSync } from 'node:fs';

const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url))).version;
const collector = await startTestCollector();
const app = await startApp(echoJson);
after(() => Promise.all([collector.close(), app.close()]));

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('a full batch leaves at batchSize without waiting for batchMaxTime', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 5, batchMaxTime: 60_000 });
  const before = collector.state.batches.length;
  for (let i = 0; i < 5; i++) await request(`${app.url}/size/${i}`);
  await collector.waitFor((c) => c.state.batches.length > before, 5_000, 'a batch');
  const batch = collector.state.batches.at(-1);
  assert.equal(batch.length, 5);
  assert.deepEqual(batch.map((e) => new URL(e.request.uri).pathname), [0, 1, 2, 3, 4].map((i) => `/size/${i}`));
  const sent = collector.state.requests.filter((r) => r.path === '/v1/events/batch').at(-1);
  assert.equal(sent.method, 'POST');
  assert.equal(sent.headers['content-encoding'], 'gzip');
  assert.equal(sent.headers['content-type'], 'application/json');
  assert.equal(sent.headers['x-moesif-application-id'], 'app-batch');
  assert.equal(sent.headers['user-agent'], `moesif-node/${version}`);
});

test('a partial batch leaves after batchMaxTime', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 100, batchMaxTime: 150 });
  const before = collector.events.length;
  const started = Date.now();
  await request(`${app.url}/time`);
  await collector.waitForEvents(before + 1, 5_000);
  const waited = Date.now() - started;
  assert.ok(waited >= 100, `sent after ${waited} ms, before batchMaxTime`);
  assert.equal(collector.state.batches.at(-1).length, 1);
});

test('the event carries every field of SPEC §3, and leaves out empty ones', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1, apiVersion: '1.2', identifyCompany: () => 'c-9', getMetadata: () => ({ dc: 'west' }) });
  const before = collector.events.length;
  const res = await request(`${app.url}/items?x=1&y=two`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'X-Custom': 'A' },
    body: JSON.stringify({ a: 1, nested: { b: [1, 2] } }),
  });
  assert.equal(res.status, 200);
  await collector.waitForEvents(before + 1);
  const event = collector.events.at(-1);
  assert.equal(event.direction, 'Incoming');
  assert.equal(event.request.verb, 'POST');
  assert.equal(event.request.uri, `${app.url}/items?x=1&y=two`);
  assert.match(event.request.time, ISO_MS);
  assert.match(event.response.time, ISO_MS);
  assert.ok(Date.parse(event.response.time) >= Date.parse(event.request.time));
  assert.equal(event.request.api_version, '1.2');
  assert.equal(event.request.ip_address, '203.0.113.7');
  assert.equal(event.request.headers['x-custom'], 'A');
  assert.equal(event.request.headers['content-type'], 'application/json');
  assert.deepEqual(event.request.body, { a: 1, nested: { b: [1, 2] } });
  assert.equal(event.request.transfer_encoding, 'json');
  assert.equal(event.response.status, 200);
  assert.equal(event.response.headers['content-type'], 'application/json');
  assert.deepEqual(event.response.body, { a: 1, nested: { b: [1, 2] } });
  assert.equal(event.company_id, 'c-9');
  assert.deepEqual(event.metadata, { dc: 'west' });
  assert.equal(event.weight, 1);
  const txn = res.headers['x-moesif-transaction-id'];
  assert.match(txn, /^[0-9a-f-]{36}$/);
  assert.equal(event.request.headers['x-moesif-transaction-id'], txn);
  assert.equal(event.response.headers['x-moesif-transaction-id'], txn);
  for (const key of ['user_id', 'session_token', 'blocked_by']) assert.ok(!(key in event), `${key} should be absent`);
  const raw = JSON.stringify(event);
  assert.ok(!raw.includes('null'), 'no null fields');
});

test('a transaction id the client sent is reused; disableTransactionId adds none', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1 });
  let before = collector.events.length;
  const res = await request(`${app.url}/txn`, { headers: { 'x-moesif-transaction-id': 'given-123' } });
  assert.equal(res.headers['x-moesif-transaction-id'], 'given-123');
  await collector.waitForEvents(before + 1);
  assert.equal(collector.events.at(-1).response.headers['x-moesif-transaction-id'], 'given-123');
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1, disableTransactionId: true });
  before = collector.events.length;
  const res2 = await request(`${app.url}/no-txn`);
  assert.equal(res2.headers['x-moesif-transaction-id'], undefined);
  await collector.waitForEvents(before + 1);
  assert.equal(collector.events.at(-1).request.headers['x-moesif-transaction-id'], undefined);
});

test('stats() counts what was captured and sent; flush() delivers at once', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1000, batchMaxTime: 60_000 });
  await flush(); // settle what earlier tests left in flight
  const s0 = stats();
  const before = collector.events.length;
  await request(`${app.url}/s1`);
  await request(`${app.url}/s2`);
  await capturedAtLeast(stats, s0.captured, 2);
  assert.equal(stats().queued, 2);
  await flush();
  assert.equal(collector.events.length, before + 2);
  const s1 = stats();
  assert.equal(s1.captured - s0.captured, 2);
  assert.equal(s1.sent - s0.sent, 2);
  assert.equal(s1.queued, 0);
});

test('maskEventModel runs last (on the main thread); one that throws drops the event and counts it', async () => {
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1, maskEventModel: (e) => ({ ...e, metadata: { masked: true, had: e.request.body?.secret } }) });
  let before = collector.events.length;
  await request(`${app.url}/mask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":"s","keep":1}' });
  await collector.waitForEvents(before + 1);
  const event = collector.events.at(-1);
  assert.deepEqual(event.metadata, { masked: true, had: '<redacted>' }, 'redaction ran before maskEventModel');
  assert.deepEqual(event.request.body, { secret: '<redacted>', keep: 1 });
  const s0 = stats();
  enable({ applicationId: 'app-batch', baseUri: collector.url, batchSize: 1, maskEventModel: () => { throw new Error('mask bug'); } });
  before = collector.events.length;
  await request(`${app.url}/mask-throws`);
  await capturedAtLeast(stats, s0.captured);
  await flush();
  assert.equal((stats().dropped.mask_error ?? 0) - (s0.dropped.mask_error ?? 0), 1);
  assert.equal(collector.events.length, before);
});
