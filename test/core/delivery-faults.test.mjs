// Delivery under collector faults: 5xx then recovery, 429 with Retry-After, connection refused,
// 4xx rejections, and the queue bounds with a dead collector (SPEC §6). In-process, real sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startApp, request, capturedAtLeast, freePort } from '../support/app.mjs';
import { enable, stats, flush } from '../../dist/index.mjs';

const app = await startApp((req, res) => {
  req.resume();
  req.on('end', () => res.end('ok'));
});
after(() => app.close());

/** Each request gets a unique path so events can be counted exactly. */
let seq = 0;
async function hit(n, body) {
  const paths = [];
  const since = stats().captured;
  for (let i = 0; i < n; i++) {
    const path = `/e/${++seq}`;
    paths.push(path);
    await request(app.url + path, body ? { method: 'POST', body } : {});
  }
  await capturedAtLeast(stats, since, n);
  return paths;
}
function countOnce(collector, paths) {
  const seen = new Map();
  for (const e of collector.events) {
    const p = new URL(e.request.uri).pathname;
    seen.set(p, (seen.get(p) ?? 0) + 1);
  }
  return paths.map((p) => seen.get(p) ?? 0);
}

function captureStderr() {
  const lines = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    lines.push(String(chunk));
    return original(chunk, ...rest);
  };
  return { lines, restore: () => (process.stderr.write = original) };
}

test('500s then recovery: every event arrives exactly once, retries counted', async () => {
  const collector = await startTestCollector();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 5, batchMaxTime: 50 });
    await flush();
    collector.state.script.push({ status: 500 }, { status: 503 });
    const r0 = stats().retries;
    const paths = await hit(5);
    await collector.waitFor((c) => countOnce(c, paths).every((n) => n === 1), 10_000, 'all 5 events');
    assert.deepEqual(countOnce(collector, paths), [1, 1, 1, 1, 1]);
    assert.ok(stats().retries - r0 >= 2, 'two retries counted');
  } finally {
    await collector.close();
  }
});

test('429 with Retry-After is honoured before the next try', async () => {
  const collector = await startTestCollector();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 1, batchMaxTime: 50 });
    await flush(); // nothing of earlier tests may reach this collector's script
    collector.state.script.push({ status: 429, headers: { 'retry-after': '1' } });
    const paths = await hit(1);
    const t0 = Date.now();
    await collector.waitFor((c) => countOnce(c, paths)[0] === 1, 10_000, 'the event after 429');
    const attempts = collector.state.requests.filter((r) => r.path === '/v1/events/batch' && JSON.stringify(r.body).includes(`${paths[0]}"`));
    assert.equal(attempts.length, 2);
    assert.ok(Date.now() - t0 >= 900, `retried after ${Date.now() - t0} ms, Retry-After was 1 s`);
  } finally {
    await collector.close();
  }
});

test('connection refused, then the collector comes up: nothing lost', async () => {
  const port = await freePort();
  enable({ applicationId: 'f', baseUri: `http://127.0.0.1:${port}`, batchSize: 3, batchMaxTime: 50 });
  const paths = await hit(6);
  await new Promise((r) => setTimeout(r, 300)); // let the first tries fail against the closed port
  const collector = await startTestCollector({ port });
  try {
    await flush();
    await collector.waitFor((c) => countOnce(c, paths).every((n) => n === 1), 15_000, 'events after recovery');
    assert.deepEqual(countOnce(collector, paths), [1, 1, 1, 1, 1, 1]);
  } finally {
    await collector.close();
  }
});

test('400: the batch is dropped, counted, never retried, and one warning line printed per status', async () => {
  const collector = await startTestCollector();
  const err = captureStderr();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 2, batchMaxTime: 50 });
    await flush();
    for (let i = 0; i < 8; i++) collector.state.script.push({ status: 400, body: 'bad batch' });
    const before = stats().dropped.rejected ?? 0;
    const paths = await hit(4);
    await flush();
    await collector.waitFor(() => (stats().dropped.rejected ?? 0) - before === 4, 5_000, '4 rejected');
    const warnings = err.lines.filter((l) => l.includes('answered 400'));
    assert.equal(warnings.length, 1, warnings.join(''));
    assert.match(warnings[0], /^\[moesif\] collector answered 400 to POST \/v1\/events\/batch: bad batch; \d events dropped/);
    const attempts = collector.state.requests.filter((r) => r.path === '/v1/events/batch');
    for (const path of paths) {
      assert.equal(attempts.filter((r) => JSON.stringify(r.body).includes(`${path}"`)).length, 1, `${path} sent once, not retried`);
    }
  } finally {
    collector.state.script.length = 0;
    err.restore();
    await collector.close();
  }
});

test('413: the batch is split and retried, not dropped', async () => {
  const collector = await startTestCollector();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 4, batchMaxTime: 60_000 });
    await flush();
    collector.state.script.push({ status: 413 });
    const paths = await hit(4);
    await collector.waitFor((c) => countOnce(c, paths).every((n) => n === 1), 10_000, 'split batches');
    assert.deepEqual(collector.state.batches.map((b) => b.length), [2, 2]);
  } finally {
    await collector.close();
  }
});

test('dead collector and 10x the queue bound: held events stay within eventQueueSize, the rest counted', async () => {
  const port = await freePort();
  enable({ applicationId: 'f', baseUri: `http://127.0.0.1:${port}`, batchSize: 10, batchMaxTime: 20, eventQueueSize: 40 });
  const before = stats();
  await hit(400);
  const after = stats();
  assert.equal(after.captured - before.captured, 400);
  assert.ok(after.queued <= 40, `queued ${after.queued}`);
  const dropped = (after.dropped.queue_full ?? 0) - (before.dropped.queue_full ?? 0);
  assert.ok(dropped >= 360 - 30, `dropped ${dropped}`); // up to 3 batches may be on the wire
  assert.ok(dropped <= 360);
});

test('dead collector and 10x maxQueueBytes of bodies: held bytes stay bounded', async () => {
  // What the tests before left held is delivered first: the bound is this test's alone.
  const drain = await startTestCollector();
  enable({ applicationId: 'f', baseUri: drain.url, batchSize: 1000 });
  await flush();
  await drain.close();
  assert.equal(stats().queued, 0);
  const port = await freePort();
  const body = Buffer.alloc(10_000, 'a');
  enable({ applicationId: 'f', baseUri: `http://127.0.0.1:${port}`, batchSize: 1000, batchMaxTime: 60_000, eventQueueSize: 100000, maxQueueBytes: 200_000 });
  const before = stats();
  const heap0 = process.memoryUsage().heapUsed;
  await hit(200, body); // ~2.1 MB offered
  const after = stats();
  const held = after.queued - before.queued;
  const withoutBodies = after.bodiesLeftOut - before.bodiesLeftOut;
  const dropped = (after.dropped.queue_bytes ?? 0) - (before.dropped.queue_bytes ?? 0);
  assert.equal(held + dropped, 200, `held ${held} + dropped ${dropped}`);
  assert.ok(held - withoutBodies >= 5 && held - withoutBodies <= 10, `${held - withoutBodies} events with their 10 KB bodies in half of a 200 KB bound`);
  assert.ok(withoutBodies >= 10, `then ${withoutBodies} events without their bodies`);
  assert.ok(dropped >= 50, `and the rest dropped at the bound: ${dropped}`);
  assert.ok(process.memoryUsage().heapUsed - heap0 < 20e6, 'heap did not grow with the offered load');
});

test('a backlog costs bodies first: events past half of maxQueueBytes arrive without their bodies, with a marker', async () => {
  const collector = await startTestCollector();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 1000, batchMaxTime: 60_000, eventQueueSize: 100000, maxQueueBytes: 200_000 });
    await flush();
    const before = stats();
    const body = Buffer.alloc(10_000, 'b');
    const paths = await hit(30, body); // ~320 KB offered, nothing sent meanwhile (batchMaxTime)
    const leftOut = stats().bodiesLeftOut - before.bodiesLeftOut;
    assert.ok(leftOut >= 15, `bodies left out: ${leftOut}`);
    await flush();
    await collector.waitFor((c) => paths.every((p) => c.events.some((e) => e.request.uri.endsWith(p))), 10_000, 'all 30 events');
    const events = paths.map((p) => collector.events.find((e) => e.request.uri.endsWith(p)));
    const marked = events.filter((e) => e.request.body?.msg === "request.body left out: the agent's queue was backed up (maxQueueBytes)");
    assert.equal(marked.length, leftOut);
    assert.ok(events.slice(0, 5).every((e) => e.request.transfer_encoding === 'base64' && Buffer.from(e.request.body, 'base64').length === 10_000), 'the first events kept their bodies');
    assert.ok(marked.every((e) => e.response.status === 200 && e.request.verb === 'POST'), 'the rest kept everything else');
  } finally {
    await collector.close();
  }
});

test('a collector that resets the connection mid-batch: retried, every event once', async () => {
  const collector = await startTestCollector();
  try {
    enable({ applicationId: 'f', baseUri: collector.url, batchSize: 3, batchMaxTime: 60_000 });
    await flush();
    collector.state.script.push({ reset: true }, { reset: true });
    const paths = await hit(3);
    await collector.waitFor((c) => countOnce(c, paths).every((n) => n === 1), 10_000, 'events after resets');
    assert.deepEqual(countOnce(collector, paths), [1, 1, 1]);
  } finally {
    await collector.close();
  }
});

test('a garbage /v1/config answer keeps sampling at 100% and delivery going', async () => {
  const collector = await startTestCollector({ config: '<html>not json' });
  try {
    enable({ applicationId: 'garbage-config', baseUri: collector.url, batchSize: 2, batchMaxTime: 50 });
    await collector.waitFor((c) => c.state.configFetches === 1, 5_000, 'the config fetch');
    const paths = await hit(2);
    await collector.waitFor((c) => countOnce(c, paths).every((n) => n === 1), 10_000, 'events');
    assert.ok(collector.events.every((e) => e.weight === 1));
  } finally {
    await collector.close();
  }
});

test('an https collector with a certificate Node does not trust: events kept, the app unaffected, a clear warning', async () => {
  const { readFileSync } = await import('node:fs');
  const https = await import('node:https');
  const certs = new URL('../fixtures/certs/', import.meta.url);
  const server = https.createServer({ cert: readFileSync(new URL('cert.pem', certs)), key: readFileSync(new URL('key.pem', certs)) }, (req, res) => res.end());
  server[Symbol.for('moesif.ignoreServer')] = true;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  await flush(); // nothing of the tests before still on the wire when `before` is taken
  const err = captureStderr();
  try {
    // One batch of the three: it is either on the wire or held whole, never split between the two.
    enable({ applicationId: 'tls', baseUri: `https://127.0.0.1:${server.address().port}`, batchSize: 3, batchMaxTime: 60_000 });
    const before = stats();
    const t0 = performance.now();
    await hit(3);
    assert.ok(performance.now() - t0 < 2_000, 'the app answered as usual');
    await flush();
    const after = stats();
    assert.equal(after.sent, before.sent);
    // A batch may be on its next try right now (not counted as queued): it comes back when that fails.
    const deadline = performance.now() + 10_000;
    while (stats().queued < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(stats().queued >= 3, `queued ${stats().queued}`);
    assert.equal(stats().sent, before.sent);
    assert.ok(err.lines.some((l) => /cannot reach the collector at https:\/\/127\.0\.0\.1:\d+: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|ERR_TLS_CERT_ALTNAME_INVALID)/.test(l)), err.lines.join(''));
  } finally {
    err.restore();
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});
