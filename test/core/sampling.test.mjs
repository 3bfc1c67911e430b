// Remote sampling (SPEC §3): precedence regex_config → user → company → sample_rate, weight on
// kept events, and the config refetched on a new ETag at most once a minute.
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startApp, request, capturedAtLeast } from '../support/app.mjs';
import { enable, flush, stats } from '../../dist/index.mjs';

const app = await startApp((req, res) => res.end('ok'));
const collector = await startTestCollector({
  config: {
    sample_rate: 0,
    user_sample_rate: { 'u-full': 100, 'u-none': 0, 'u-quarter': 25 },
    company_sample_rate: { 'c-full': 100, 'c-none': 0 },
    regex_config: [{ conditions: [{ path: 'request.route', value: '^/always' }, { path: 'request.verb', value: 'GET' }], sample_rate: 100 }],
  },
});
after(() => Promise.all([app.close(), collector.close()]));

enable({
  applicationId: 's',
  baseUri: collector.url,
  batchSize: 1000,
  batchMaxTime: 60_000,
  identifyUser: (req) => req.headers['x-user'],
  identifyCompany: (req) => req.headers['x-company'],
});
await collector.waitFor((c) => c.state.configFetches === 1, 5_000, 'the config fetch at start');
await new Promise((r) => setImmediate(r));

async function kept(path, headers = {}, n = 1) {
  const tag = `${path}${path.includes('?') ? '&' : '?'}t=${Math.random().toString(36).slice(2)}`;
  const since = stats().captured;
  for (let i = 0; i < n; i++) await request(app.url + tag, { headers });
  await capturedAtLeast(stats, since, n);
  await flush();
  return collector.events.filter((e) => e.request.uri.endsWith(tag));
}

test('sample_rate 0 drops events without a more specific rate, counted as sampled_out', async () => {
  const before = stats().dropped.sampled_out ?? 0;
  assert.equal((await kept('/plain')).length, 0);
  assert.equal((stats().dropped.sampled_out ?? 0) - before, 1);
});

test('a matching regex_config rule wins over the user rate', async () => {
  const events = await kept('/always/here', { 'x-user': 'u-none' });
  assert.equal(events.length, 1);
  assert.equal(events[0].weight, 1);
  // every condition must match: POST is not GET, so the user rate (0) applies
  const tag = `/always/post?t=${Math.random().toString(36).slice(2)}`;
  const since = stats().captured;
  await request(app.url + tag, { method: 'POST', headers: { 'x-user': 'u-none' } });
  await capturedAtLeast(stats, since);
  await flush();
  assert.equal(collector.events.filter((e) => e.request.uri.endsWith(tag)).length, 0);
});

test('the user rate wins over the company rate', async () => {
  assert.equal((await kept('/u', { 'x-user': 'u-full', 'x-company': 'c-none' })).length, 1);
  assert.equal((await kept('/u', { 'x-user': 'u-none', 'x-company': 'c-full' })).length, 0);
});

test('the company rate wins over sample_rate', async () => {
  const events = await kept('/c', { 'x-company': 'c-full' });
  assert.equal(events.length, 1);
  assert.equal(events[0].company_id, 'c-full');
});

test('a 25% rate keeps about a quarter, each with weight floor(100/25) = 4', async () => {
  const events = await kept('/q', { 'x-user': 'u-quarter' }, 200);
  assert.ok(events.length > 20 && events.length < 85, `kept ${events.length} of 200`);
  for (const e of events) assert.equal(e.weight, 4);
});

test('a new X-Moesif-Config-ETag refetches the config, at most once a minute', async () => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    collector.state.configEtag = 'etag-2';
    collector.state.config = { sample_rate: 100 };
    const full = { 'x-user': 'u-full' }; // kept under the old config, so batches get answers
    for (let i = 0; i < 3; i++) assert.equal((await kept('/etag', full)).length, 1);
    assert.equal(collector.state.configFetches, 1, 'no refetch within the minute of the first fetch');
    mock.timers.tick(61_000);
    await kept('/etag', full);
    await collector.waitFor((c) => c.state.configFetches === 2, 5_000, 'a refetch');
    for (let i = 0; i < 3; i++) await kept('/etag', full);
    assert.equal(collector.state.configFetches, 2, 'the same ETag does not refetch');
    assert.equal((await kept('/now-full')).length, 1, 'the new config (sample_rate 100) is in force');
  } finally {
    mock.timers.reset();
  }
});
