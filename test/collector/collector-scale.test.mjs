// 100 000 stored events: listing and filtering stay fast, and so does loading them at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getJson, startQuiet, tempDir } from './support/helpers.mjs';

const N = 100_000;
const VERBS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 201, 404, 500, 302];

function event(n) {
  const t = new Date(Date.UTC(2026, 0, 1) + n * 1000);
  return {
    request: { time: t.toISOString(), uri: `https://api.acme.test/v1/orders/${n}?page=${n % 7}`, verb: VERBS[n % 4], headers: { 'content-type': 'application/json' }, body: { n } },
    response: { time: new Date(t.getTime() + (n % 300)).toISOString(), status: STATUSES[n % 5], headers: {}, body: { ok: true } },
    user_id: `user-${n % 500}`,
    company_id: `co-${n % 50}`,
    direction: n % 3 ? 'Incoming' : 'Outgoing',
  };
}

async function timed(url, path) {
  const start = performance.now();
  const r = await getJson(url, path);
  return { ms: performance.now() - start, body: r.body };
}

test(`list and filter ${N} events, then reload them`, { timeout: 60_000 }, async (t) => {
  const data = tempDir(t);
  const c = await startQuiet(t, { dataDir: data, retention: N });
  for (let b = 0; b < N; b += 2000) c.store.addEvents(Array.from({ length: 2000 }, (_, i) => event(b + i)));

  // Bounds are loose (a loaded CI machine); on a quiet 2-core machine each is ~10-40 ms.
  const LIMIT_MS = 1500;
  const checks = [
    ['/api/events', N, (e) => e.id > N - 100],
    ['/api/events?status=5xx', N / 5, (e) => e.status === 500],
    ['/api/events?q=orders/99999', 1, (e) => e.uri.includes('/orders/99999')],
    ['/api/events?user=user-42&verb=PUT', null, (e) => e.user_id.startsWith('user-42') && e.verb === 'PUT'],
    ['/api/events?direction=Outgoing&company=co-5&status=2xx,3xx', null, (e) => e.direction === 'Outgoing'],
    [`/api/events?from=${Date.UTC(2026, 0, 1, 10)}&to=${Date.UTC(2026, 0, 1, 11)}`, 3601, () => true],
    ['/api/events?before=500&limit=100', N, (e) => e.id < 500],
  ];
  for (const [path, total, ok] of checks) {
    const { ms, body } = await timed(c.url, path);
    t.diagnostic(`${path}: ${ms.toFixed(1)} ms, ${body.total} match`);
    assert.ok(ms < LIMIT_MS, `${path} took ${ms.toFixed(0)} ms`);
    if (total !== null) assert.equal(body.total, total, path);
    assert.ok(body.events.length > 0 && body.events.every(ok), path);
  }
  const detail = await timed(c.url, '/api/events/54321');
  assert.ok(detail.ms < LIMIT_MS);
  assert.deepEqual(detail.body.event, event(54320));
  await c.close();

  const start = performance.now();
  const again = await startQuiet(t, { dataDir: data, retention: N });
  const loadMs = performance.now() - start;
  t.diagnostic(`loading ${N} events at start: ${loadMs.toFixed(0)} ms`);
  assert.ok(loadMs < 20_000, `loading took ${loadMs.toFixed(0)} ms`);
  const list = await timed(again.url, '/api/events?status=4xx');
  assert.equal(list.body.stored, N);
  assert.equal(list.body.total, N / 5);
});
