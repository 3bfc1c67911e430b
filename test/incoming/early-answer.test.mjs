// Apps that answer before the request body has all arrived. One that still reads it (pipe()): the
// event waits for the request's end and holds the whole body. One that never reads it: Node drops
// the rest unread at the parser (req._dump()), so the event holds the bytes that had arrived when
// the response was sent, and is not held back waiting for the rest.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';

const collector = await startTestCollector();
const app = startChild(join(FIXTURES, 'frameworks', 'node-http.mjs'), {
  env: { MOESIF_APPLICATION_ID: 'early', MOESIF_BASE_URI: collector.url, MOESIF_BATCH_SIZE: '1' },
});
after(() => Promise.all([app.kill(), collector.close()]));
const port = await app.port();

/** Sends 10 000 bytes, waits for the whole response, then sends the other 40 000. */
function sendInTwoParts(path, id, body) {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path, agent, headers: { 'content-type': 'application/x-bytes', 'content-length': body.length, 'x-test-id': id } });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        // The server has answered (its response finished) with 10 KB of 50 KB sent: now the rest.
        const got = { status: res.statusCode, body: Buffer.concat(chunks).toString() };
        if (path === '/ignore') {
          // Nothing more is awaited: the event must already be on its way.
          collector
            .waitFor((c) => c.events.some((e) => e.request.headers['x-test-id'] === id), 10_000, 'the event before the rest is sent')
            .then(() => req.end(body.subarray(10_000), () => resolve(got)), reject);
        } else req.end(body.subarray(10_000), () => resolve(got));
      });
    });
    req.on('error', reject);
    req.write(body.subarray(0, 10_000));
  }).finally(() => setTimeout(() => agent.destroy(), 100));
}

async function eventOf(id) {
  await collector.waitFor((c) => c.events.some((e) => e.request.headers['x-test-id'] === id), 10_000, 'the event');
  return collector.events.find((e) => e.request.headers['x-test-id'] === id);
}

test('an app that still reads (pipe) after answering: the whole body, once it ended', async () => {
  const body = randomBytes(50_000);
  const got = await sendInTwoParts('/early-pipe', 'early-pipe', body);
  assert.deepEqual(got, { status: 202, body: 'accepted' });
  const event = await eventOf('early-pipe');
  assert.equal(event.request.body, body.toString('base64'), 'all 50 000 bytes, not the 10 000 there at the response');
  assert.equal(event.request.transfer_encoding, 'base64');
  assert.equal(event.response.status, 202);
  assert.equal(event.response.body, Buffer.from('accepted').toString('base64'));
});

test('an app that never reads: the bytes there when it answered, without waiting for the rest', async () => {
  const body = randomBytes(50_000);
  const got = await sendInTwoParts('/ignore', 'early-ignore', body);
  assert.deepEqual(got, { status: 200, body: 'ignored' });
  const event = await eventOf('early-ignore');
  assert.equal(event.request.body, body.subarray(0, 10_000).toString('base64'));
  assert.equal(event.response.status, 200);
});
