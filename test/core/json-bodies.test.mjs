// JSON bodies (SPEC §4) as they reach the collector: a body with nothing to redact is sent as the
// app's own text (never parsed and re-stringified), one that may hold a secret is parsed and
// redacted, one that does not parse is base64; masks, maskEventModel and body sampling rules
// still see objects.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startApp, request, capturedAtLeast } from '../support/app.mjs';
import { enable, flush, stats } from '../../dist/index.mjs';

const collector = await startTestCollector();
const app = await startApp(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
  res.end(Buffer.concat(chunks));
});
after(() => Promise.all([app.close(), collector.close()]));
const options = { applicationId: 'json-bodies', baseUri: collector.url, batchSize: 1000, batchMaxTime: 60_000 };
enable(options);

/** Posts `body` (echoed back) and returns the event and its tag. */
async function roundTrip(body, contentType = 'application/json') {
  const tag = Math.random().toString(36).slice(2);
  const since = stats().captured;
  await request(`${app.url}/echo?tag=${tag}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  await capturedAtLeast(stats, since);
  await flush();
  const event = collector.events.find((e) => e.request.uri.endsWith(`tag=${tag}`));
  assert.ok(event, 'event arrived');
  return { event, tag };
}

test('a clean JSON body arrives as the app sent it: same values, numbers as written', async () => {
  const text = '{ "price": 1.50, "name": "caf\u00e9 \u2603", "list": [1, 2.0e0, null, true], "nested": {"a": {"b": []}}, "id": 12345 }';
  const { event } = await roundTrip(text);
  assert.equal(event.request.transfer_encoding, 'json');
  assert.deepEqual(event.request.body, JSON.parse(text));
  assert.deepEqual(event.response.body, JSON.parse(text));
});

test('the batch carries a clean body as the app wrote it, not re-stringified', async () => {
  const { tag } = await roundTrip('{"n": 1.50, "s": "x"}');
  const raw = collector.state.rawBatches.find((text) => text.includes(`tag=${tag}`));
  assert.ok(raw.includes('"body":{"n": 1.50, "s": "x"}'), raw.slice(0, 500)); // parse+stringify would give {"n":1.5,"s":"x"}
});

const secretBodies = [
  ['a sensitive key', '{"user":"ann","password":"hunter2-xyz"}', (b) => b.password === '<redacted>' && b.user === 'ann'],
  ['a sensitive key deep down', '{"a":[{"b":{"API-Key":"k-xyz"}}]}', (b) => b.a[0].b['API-Key'] === '<redacted>'],
  ['a key spelled with \\u escapes', '{"pass\\u0077ord":"hunter2-xyz"}', (b) => b.password === '<redacted>'],
  ['a card number in a string', '{"note":"card 4111 1111 1111 1111 ok"}', (b) => b.note === 'card <redacted> ok'],
  ['a card number as a number', '{"pan":4111111111111111}', (b) => b.pan === '<redacted>'],
  ['a card number spelled with an exponent', '{"pan":4.111111111111111e15}', (b) => b.pan === '<redacted>'],
];
for (const [what, text, ok] of secretBodies) {
  test(`a JSON body with ${what} is redacted`, async () => {
    const { event } = await roundTrip(text);
    assert.equal(event.request.transfer_encoding, 'json');
    assert.ok(ok(event.request.body), JSON.stringify(event.request.body));
    assert.ok(ok(event.response.body), JSON.stringify(event.response.body));
    const sent = JSON.stringify(event); // (not just '4111': a random transaction id may hold it)
    assert.ok(!sent.includes('hunter2') && !sent.includes('4111 1111') && !sent.includes('111111111111') && !sent.includes('k-xyz'), sent);
  });
}

test('long digit runs that fail Luhn (timestamps, order numbers) stay as they are', async () => {
  const text = '{"ts":1764093843002,"order":"ord-1234567890123"}';
  const { event } = await roundTrip(text);
  assert.deepEqual(event.request.body, JSON.parse(text));
});

test('JSON content that does not parse goes as base64 of the bytes', async () => {
  for (const text of ['{"a":1,}', '{"a":1} trailing', '\ufeff{"a":1}', '[1 2]', '"unterminated']) {
    const { event } = await roundTrip(text);
    assert.equal(event.request.transfer_encoding, 'base64', text);
    assert.equal(Buffer.from(event.request.body, 'base64').toString('utf8'), text);
  }
});

test('100 000 levels of nesting: the app is answered and the event arrives', async () => {
  const text = '['.repeat(100_000) + ']'.repeat(100_000);
  const { event } = await roundTrip(text);
  assert.ok(event.request.transfer_encoding === 'json' || event.request.transfer_encoding === 'base64' || event.request.body === undefined);
});

test('body masks and maskEventModel see objects', async () => {
  enable({ ...options, requestBodyMasks: ['drop'], maskEventModel: (e) => ({ ...e, metadata: { sawObject: typeof e.response.body === 'object', kept: e.response.body?.keep } }) });
  try {
    const { event } = await roundTrip('{"drop":"x","keep":7}');
    assert.deepEqual(event.request.body, { keep: 7 });
    assert.deepEqual(event.response.body, { drop: 'x', keep: 7 });
    assert.deepEqual(event.metadata, { sawObject: true, kept: 7 });
  } finally {
    enable(options);
  }
});

test('a sampling rule on request.body.<field> reads a body kept as text', async () => {
  const tagged = await startTestCollector({ config: { sample_rate: 100, regex_config: [{ conditions: [{ path: 'request.body.kind', value: '^noisy$' }], sample_rate: 0 }] } });
  try {
    enable({ ...options, baseUri: tagged.url });
    await tagged.waitFor((c) => c.state.configFetches > 0);
    const before = stats().dropped.sampled_out ?? 0;
    const since = stats().captured;
    await request(`${app.url}/s?tag=noisy1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"noisy"}' });
    await request(`${app.url}/s?tag=quiet1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"quiet"}' });
    await capturedAtLeast(stats, since, 2);
    await flush();
    assert.equal((stats().dropped.sampled_out ?? 0) - before, 1);
    const uris = tagged.events.map((e) => e.request.uri);
    assert.ok(uris.some((u) => u.endsWith('tag=quiet1')));
    assert.ok(!uris.some((u) => u.endsWith('tag=noisy1')));
  } finally {
    enable(options);
    await tagged.close();
  }
});
