// Where batches are assembled: small events on the app's thread (no thread started at all),
// batches heavy with bodies on the agent's serializer thread when the process has a second core;
// either way the events arrive whole.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';

const collector = await startTestCollector();
const child = startChild(join(FIXTURES, 'plain-http.mjs'), {
  env: { MOESIF_APPLICATION_ID: 'thread', MOESIF_BASE_URI: collector.url, MOESIF_BATCH_SIZE: '10', MOESIF_BATCH_MAX_TIME: '50', MOESIF_LOCAL_DEBUG: 'true' },
});
const [, port] = await child.waitFor(/listening (\d+)/);
after(async () => {
  child.child.kill();
  await collector.close();
});
const STARTED = 'serializer thread started';

async function post(tag, body) {
  const res = await request(`http://127.0.0.1:${port}/json?q=${tag}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201);
}
const mine = (tag) => collector.events.filter((e) => e.request.uri.endsWith(`q=${tag}`));

test('small events: assembled on the app thread, no thread started', async () => {
  for (let i = 0; i < 10; i++) await post('small', { i });
  await collector.waitFor(() => mine('small').length === 10, 10_000, 'ten small events');
  assert.ok(!child.stderr.includes(STARTED), child.stderr);
  assert.deepEqual(mine('small').map((e) => e.request.body.i).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('a batch heavy with bodies: assembled on the serializer thread (with a second core), bodies whole', async () => {
  const big = { rows: Array.from({ length: 1500 }, (_, k) => ({ k, name: `row-${k}` })) }; // ~30 KB each way
  for (let i = 0; i < 10; i++) await post('big', { i, ...big });
  await collector.waitFor(() => mine('big').length === 10, 10_000, 'ten big events');
  for (const e of mine('big')) {
    assert.equal(e.request.body.rows.length, 1500);
    assert.deepEqual(e.response.body.got, e.request.body);
  }
  assert.equal(child.stderr.includes(STARTED), availableParallelism() > 1, child.stderr.slice(-2000));
});
