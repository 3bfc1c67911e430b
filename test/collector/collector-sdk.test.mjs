// The SDK itself shipping to the local collector: an app run with `node --import moesif/register`
// and MOESIF_BASE_URI pointing at `moesif dev`, as the README tells users to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, getJson, startQuiet, tempDir, waitFor } from './support/helpers.mjs';

const jwt = (payload) => `Bearer e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;

test('an app under --import moesif/register ships its events and user updates here', { timeout: 30_000 }, async (t) => {
  const c = await startQuiet(t, { dataDir: tempDir(t) });
  const app = spawn(process.execPath, ['--import', join(ROOT, 'register.js'), join(ROOT, 'test', 'collector', 'fixtures', 'sdk-app.mjs')], {
    env: { ...process.env, MOESIF_BASE_URI: c.url, MOESIF_APPLICATION_ID: 'local-dev', MOESIF_BATCH_MAX_TIME: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  app.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  app.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise((r) => app.once('exit', r));
  t.after(() => app.exitCode === null && app.kill('SIGKILL'));
  const port = await waitFor(() => /app listening on (\d+)/.exec(out)?.[1], `the app to start (stderr: ${err})`, 10_000);
  const base = `http://127.0.0.1:${port}`;

  assert.equal((await fetch(`${base}/items?color=red`, { headers: { authorization: jwt({ sub: 'jwt-user' }) } })).status, 200);
  assert.equal((await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ qty: 2 }) })).status, 201);
  const bin = await fetch(`${base}/binary`);
  assert.equal(bin.status, 200);
  await bin.arrayBuffer();
  assert.equal((await fetch(`${base}/identify`, { method: 'POST' })).status, 204);

  const events = await waitFor(async () => {
    const r = (await getJson(c.url, '/api/events?direction=Incoming')).body;
    return r.total >= 4 && r.events;
  }, `4 incoming events (app stderr: ${err})`, 10_000);
  const byPath = (p) => events.find((e) => new URL(e.uri).pathname === p);
  const items = byPath('/items');
  assert.equal(items.verb, 'GET');
  assert.equal(items.status, 200);
  assert.equal(items.uri, `${base}/items?color=red`);
  assert.equal(items.user_id, 'jwt-user', 'user identified from the JWT');
  assert.ok(items.duration_ms >= 0);
  const orders = (await getJson(c.url, `/api/events/${byPath('/orders').id}`)).body.event;
  assert.equal(orders.request.verb, 'POST');
  assert.deepEqual(orders.request.body, { qty: 2 });
  assert.equal(orders.request.transfer_encoding, 'json');
  assert.deepEqual(orders.response.body, { ok: true, got: 9 });
  const binary = (await getJson(c.url, `/api/events/${byPath('/binary').id}`)).body.event;
  assert.equal(binary.response.transfer_encoding, 'base64');
  assert.equal(binary.response.body, Buffer.from([0, 1, 2, 3, 254, 255]).toString('base64'));

  const user = await waitFor(async () => {
    const r = await getJson(c.url, '/api/users/sdk-user');
    return r.status === 200 && r.body;
  }, 'the user update');
  assert.equal(user.data.company_id, 'sdk-co');
  assert.deepEqual(user.data.metadata, { email: 'sdk@acme.test' });
  const detail = (await getJson(c.url, `/api/events/${items.id}`)).body;
  assert.equal(detail.app_id, 'local-dev');

  app.kill('SIGTERM');
  await exited;
});
