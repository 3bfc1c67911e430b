// maxQueueBytes bounds the memory the queue really holds (issue 7: "memory stays under the
// bounds"). Small events are the worst case: their fixed overhead (objects, header arrays,
// Buffers) outweighs their bytes. The app, under the real preload, takes small JSON requests
// with its collector down until the bound drops events; what the held events cost in heap and
// external memory, after a full GC, must not exceed the bound by more than a margin.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { startChild, FIXTURES } from '../support/child.mjs';

const BOUND = 8 * 1024 * 1024;
const closed = net.createServer().listen(0, '127.0.0.1');
await new Promise((r) => closed.once('listening', r));
const deadPort = closed.address().port;
await new Promise((r) => closed.close(r));

const app = startChild(join(FIXTURES, 'faults', 'echo-app.mjs'), {
  nodeArgs: ['--expose-gc'],
  env: { MOESIF_APPLICATION_ID: 'queue-memory', MOESIF_BASE_URI: `http://127.0.0.1:${deadPort}`, MOESIF_MAX_QUEUE_BYTES: String(BOUND) },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
after(async () => {
  agent.destroy();
  await app.kill();
});

test('with the collector down, the held events cost no more memory than maxQueueBytes (+25%)', { timeout: 60_000 }, async (t) => {
  const m = await app.waitFor(/listening (\d+) control (\d+)/);
  const [port, controlPort] = [Number(m[1]), Number(m[2])];
  const memory = async () => (await fetch(`http://127.0.0.1:${controlPort}/memory`)).json();
  const body = JSON.stringify({ order: { items: [{ sku: 'sku-1', qty: 1 }] }, note: 'small' });
  let seq = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/q/k${(seq++).toString(36)}`, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const send = (n) => {
    const end = seq + n;
    return Promise.all(Array.from({ length: 16 }, async () => {
      while (seq < end) await one();
    }));
  };

  await send(500); // warm-up
  const before = await memory();
  let now = before;
  for (let round = 0; !(now.stats.dropped.queue_bytes > 0); round++) {
    assert.ok(round < 40, `the bound never dropped anything: ${JSON.stringify(now.stats)}`);
    await send(1_000);
    now = await memory();
  }
  const held = now.stats.queued - before.stats.queued;
  const grown = now.heapUsed + now.external - (before.heapUsed + before.external);
  const heldBytes = (grown / held) * now.stats.queued; // all held events, at the measured cost
  t.diagnostic(`${now.stats.queued} events held at a ${BOUND}-byte bound; ${Math.round(grown / held)} bytes each, ${(heldBytes / BOUND).toFixed(2)}x the bound`);
  assert.ok(now.stats.queued > 500, `held ${now.stats.queued}`);
  assert.ok(heldBytes <= BOUND * 1.25, `held events cost ${Math.round(heldBytes)} bytes, bound ${BOUND}`);
});
