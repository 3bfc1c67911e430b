// Lifecycle (SPEC §6): a script ends by itself with its events delivered; SIGTERM delivers the
// queue and still ends the process by the signal; shutdown() keeps its deadline with a dead
// collector; a dead collector never keeps a process alive.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';

const collector = await startTestCollector();
after(() => collector.close());
const env = { MOESIF_BASE_URI: collector.url, MOESIF_APPLICATION_ID: 'life', MOESIF_BATCH_MAX_TIME: '60000' };
const DEAD = 'http://127.0.0.1:9'; // discard port: nothing listens

test('a short script exits by itself, its events flushed at beforeExit', async () => {
  const before = collector.events.length;
  const child = startChild(join(FIXTURES, 'script-exit.mjs'), { env });
  const { code, signal } = await child.exited;
  assert.equal(code, 0, child.stderr);
  assert.equal(signal, null);
  const paths = collector.events.slice(before).map((e) => new URL(e.request.uri).pathname).sort();
  assert.deepEqual(paths, ['/one', '/two']);
});

test('SIGTERM: the queue is delivered, then the process ends by the signal', async () => {
  const child = startChild(join(FIXTURES, 'signal-app.mjs'), { env });
  const port = await child.port();
  const tag = `/sig-${Date.now()}`;
  for (let i = 0; i < 3; i++) await request(`http://127.0.0.1:${port}${tag}/${i}`);
  assert.equal(collector.events.filter((e) => e.request.uri.includes(tag)).length, 0, 'still queued');
  child.child.kill('SIGTERM');
  const { signal } = await child.exited;
  assert.equal(signal, 'SIGTERM');
  assert.equal(collector.events.filter((e) => e.request.uri.includes(tag)).length, 3);
});

test('SIGINT behaves the same', async () => {
  const child = startChild(join(FIXTURES, 'signal-app.mjs'), { env });
  const port = await child.port();
  const tag = `/int-${Date.now()}`;
  await request(`http://127.0.0.1:${port}${tag}`);
  child.child.kill('SIGINT');
  const { signal } = await child.exited;
  assert.equal(signal, 'SIGINT');
  assert.equal(collector.events.filter((e) => e.request.uri.includes(tag)).length, 1);
});

test('with its own SIGTERM handler the app decides; the agent still delivers at exit', async () => {
  const child = startChild(join(FIXTURES, 'signal-app.mjs'), { env: { ...env, APP_OWN_SIGTERM: '1' } });
  const port = await child.port();
  const tag = `/own-${Date.now()}`;
  await request(`http://127.0.0.1:${port}${tag}`, { headers: { connection: 'close' } });
  child.child.kill('SIGTERM');
  const { code, signal, stdout } = await child.exited;
  assert.match(stdout, /app handled SIGTERM/);
  assert.equal(code, 0);
  assert.equal(signal, null);
  assert.equal(collector.events.filter((e) => e.request.uri.includes(tag)).length, 1);
});

test('shutdown({ timeoutMs }) keeps its deadline with a collector that is down', async () => {
  const child = startChild(join(FIXTURES, 'shutdown-deadline.mjs'), { preload: 'none', env: { MOESIF_BASE_URI: DEAD, MOESIF_APPLICATION_ID: 'x', DEADLINE_MS: '400' } });
  const { code, stdout } = await child.exited;
  assert.equal(code, 0, child.stderr);
  const took = Number(/shutdown took (\d+) ms/.exec(stdout)[1]);
  assert.ok(took >= 300 && took < 1500, `took ${took} ms for a 400 ms deadline`);
  const stats = JSON.parse(/stats (.*)$/m.exec(stdout)[1]);
  assert.equal(stats.captured, 1);
  assert.equal(stats.dropped.shutdown, 1);
});

test('a dead collector does not keep a finished script alive past the exit deadline', async () => {
  const started = Date.now();
  const child = startChild(join(FIXTURES, 'script-exit.mjs'), { env: { MOESIF_BASE_URI: DEAD, MOESIF_APPLICATION_ID: 'x' } });
  const { code } = await child.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 6_000, `exited after ${Date.now() - started} ms`);
  assert.match(child.stderr, /cannot reach the collector/);
});
