// 2,000 concurrent keep-alive connections, 20,000 requests (issue 7): an app under the real
// preload echoes each request. Every request carries its own id in its body, in a header and as
// its user (a JWT with sub=<id>); the path is the same for all. Exactly one event per request, and
// in every event the request body, the header, the user and the response body name the same id:
// no event mixes up two concurrent requests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { jwt } from '../support/app.mjs';

const CONNECTIONS = 2_000;
const PER_CONNECTION = 10;
const TOTAL = CONNECTIONS * PER_CONNECTION;
const run = `c${process.pid.toString(36)}x${Date.now().toString(36)}`;

const collector = await startTestCollector();
const app = startChild(join(FIXTURES, 'faults', 'echo-app.mjs'), {
  env: {
    MOESIF_APPLICATION_ID: `concurrency-${run}`,
    MOESIF_BASE_URI: collector.url,
    MOESIF_BATCH_SIZE: '250',
    MOESIF_BATCH_MAX_TIME: '100',
    // All 20,000 events held at once would count ~60 MB against the default 64 MiB: a slow
    // collector on a busy machine must not turn this test into one about the bound.
    MOESIF_MAX_QUEUE_BYTES: String(256 * 1024 * 1024),
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
after(async () => {
  agent.destroy();
  await app.kill();
  await collector.close();
});

function send(port, id, sockets) {
  const body = JSON.stringify({ id, note: `payload of ${id}`, pad: 'x'.repeat(100) });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `/conc/${run}`,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-req-id': id, authorization: `Bearer ${jwt({ sub: id })}` },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const echoed = JSON.parse(Buffer.concat(chunks).toString('utf8')).id;
          if (res.statusCode !== 200 || echoed !== id || res.headers['x-echo-id'] !== id) reject(new Error(`${id}: ${res.statusCode} echoed ${echoed}`));
          else resolve();
        });
      },
    );
    req.on('socket', (s) => sockets.add(s));
    req.on('error', reject);
    req.end(body);
  });
}

test(`${CONNECTIONS} keep-alive connections, ${TOTAL} requests: one event each, nothing mixed up`, { timeout: 120_000 }, async (t) => {
  const limit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
  if (limit < CONNECTIONS + 500) return t.skip(`open files limit ${limit} is below ${CONNECTIONS + 500}`);
  const m = await app.waitFor(/listening (\d+) control (\d+)/);
  const [port, controlPort] = [Number(m[1]), Number(m[2])];

  const sockets = new Set();
  const ids = [];
  let inFlight = 0;
  let peak = 0;
  const t0 = performance.now();
  // Each of CONNECTIONS clients sends PER_CONNECTION requests one after another. All first
  // requests leave in the same tick, so the agent opens CONNECTIONS sockets (the app listens with
  // a backlog for them) and every later request reuses one of them.
  const clients = [];
  for (let c = 0; c < CONNECTIONS; c++) {
    clients.push(
      (async () => {
        for (let k = 0; k < PER_CONNECTION; k++) {
          const id = `${run}-${c.toString(36)}-${k.toString(36)}`;
          ids.push(id);
          inFlight++;
          peak = Math.max(peak, inFlight);
          await send(port, id, sockets);
          inFlight--;
        }
      })(),
    );
  }
  await Promise.all(clients);
  const served = performance.now() - t0;
  assert.equal(ids.length, TOTAL);
  assert.equal(sockets.size, CONNECTIONS, `${CONNECTIONS} sockets, kept alive for all the requests`);
  assert.equal(peak, CONNECTIONS, 'all connections busy at once');

  const mine = () => collector.events.filter((e) => e.request.uri.endsWith(`/conc/${run}`));
  await collector.waitFor(() => mine().length >= TOTAL, 45_000, `${TOTAL} events`);
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive with the last batches
  const events = mine();
  const delivered = performance.now() - t0;
  t.diagnostic(`served ${TOTAL} requests in ${(served / 1000).toFixed(1)} s, all events at the collector after ${(delivered / 1000).toFixed(1)} s`);

  assert.equal(events.length, TOTAL, 'one event per request');
  const seen = new Set();
  const wrong = [];
  for (const e of events) {
    const id = e.request.headers['x-req-id'];
    seen.add(id);
    const fields = { body: e.request.body?.id, note: e.request.body?.note, user: e.user_id, response: e.response.body?.id, echoHeader: e.response.headers['x-echo-id'] };
    if (fields.body !== id || fields.note !== `payload of ${id}` || fields.user !== id || fields.response !== id || fields.echoHeader !== id) wrong.push({ id, ...fields });
  }
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} events mix up requests`);
  assert.equal(seen.size, TOTAL, 'every request has its own event');
  assert.ok(ids.every((id) => seen.has(id)));

  const stats = await (await fetch(`http://127.0.0.1:${controlPort}/stats`)).json();
  assert.equal(stats.captured, TOTAL);
  assert.equal(stats.sent, TOTAL);
  assert.deepEqual(stats.dropped, {}, 'nothing dropped');
});
