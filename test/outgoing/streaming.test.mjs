// Streams through the agent: server-sent events reach the app one by one, each before the next is
// even sent (fetch and http), a cancel() closes the connection at once, and 50 MB downloads keep
// memory flat (the body beyond the limit is counted, never held).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startTestCollector } from '../support/collector.mjs';
import { startServers, pattern, sha256 } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf, bodyOf, OVER_LIMIT } from '../fixtures/outgoing/run.mjs';

const collector = await startTestCollector();
const servers = await startServers();
after(() => Promise.all([collector.close(), servers.close()]));

const MB = 1024 * 1024;
const closed = {};

/** Lock-step: event i is written only once the app said it got event i-1. */
async function driveSse(child) {
  for (const name of ['sse_fetch', 'sse_http']) {
    const res = await servers.nextSse();
    const gone = once(res, 'close').then(() => (closed[name] = true));
    for (let i = 1; i <= 5; i++) {
      res.write(`data: ${name}-${i}\n\n`);
      await child.waitFor(new RegExp(`^sse-got ${name}-${i}$`, 'm'), { timeoutMs: 5_000 });
    }
    // The app stops reading and cancels: the server sees the connection go.
    await Promise.race([gone, new Promise((_, reject) => setTimeout(() => reject(new Error(`${name}: connection still open 3 s after the app cancelled`)), 3_000))]);
  }
}

const [withAgent, without] = await Promise.all([
  runGroup('stream', agentEnv(collector, servers), { drive: driveSse, nodeArgs: ['--expose-gc'] }),
  runGroup('stream', servers.env(), { preload: 'none', cases: ['download_fetch', 'download_http'], nodeArgs: ['--expose-gc'] }),
]);
await collector.waitForEvents(4, 10_000);

test('SSE over fetch and over http: every event reaches the app before the next is sent; cancel closes the connection', () => {
  for (const name of ['sse_fetch', 'sse_http']) {
    assert.deepEqual(withAgent.results[name].result, [1, 2, 3, 4, 5].map((i) => `${name}-${i}`));
    assert.equal(closed[name], true);
    const [event, ...more] = eventsOf(collector, name);
    assert.equal(more.length, 0);
    assert.equal(event.response.status, 200);
    assert.equal(event.response.headers['content-type'], 'text/event-stream');
    // The event comes when the stream ends, with the bytes it carried (within the limit).
    assert.equal(bodyOf(event.response).toString(), [1, 2, 3, 4, 5].map((i) => `data: ${name}-${i}\n\n`).join(''));
    assert.equal(typeof event.metadata?.error?.code, 'string', 'the stream was cut by the client, before its end');
  }
});

test('50 MB downloads: the app gets every byte, memory stays flat, the event carries the over-limit marker', () => {
  const want = sha256(pattern(50 * MB));
  for (const name of ['download_fetch', 'download_http']) {
    const got = withAgent.results[name].result;
    const bare = without.results[name].result;
    assert.equal(got.length, 50 * MB);
    assert.equal(got.sha, want);
    assert.deepEqual({ length: bare.length, sha: bare.sha }, { length: got.length, sha: got.sha });
    // Held memory moves in steps of a few MB (socket and pool buffers); 50 MB kept would show whole.
    assert.ok(got.growthMB < 16, `${name}: ArrayBuffer memory held grew ${got.growthMB} MB under the agent (without: ${bare.growthMB} MB)`);
    const [event, ...more] = eventsOf(collector, name);
    assert.equal(more.length, 0);
    assert.equal(event.response.status, 200);
    assert.deepEqual(bodyOf(event.response), OVER_LIMIT('response'));
    assert.equal(event.metadata, undefined);
  }
});
