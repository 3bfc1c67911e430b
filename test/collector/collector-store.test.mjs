// The store survives restarts and a kill mid-write, and keeps only the newest --retention events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, makeEvent, post, spawnDev, startQuiet, tempDir } from './support/helpers.mjs';

const segments = (dir) => readdirSync(join(dir, 'events')).filter((f) => f.endsWith('.ndjson')).sort();

test('moesif dev: events, users and actions are still there after a restart', async (t) => {
  const data = tempDir(t);
  const first = await spawnDev(t, ['--data', data, '--quiet']);
  assert.match(first.output(), new RegExp(`data dir\\s+${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the data dir is printed at start');
  const sent = [makeEvent({ user_id: 'keep-1' }), makeEvent({ user_id: 'keep-2' })];
  assert.equal((await post(first.url, '/v1/events/batch', sent)).status, 201);
  assert.equal((await post(first.url, '/v1/users', { user_id: 'keep-1', metadata: { a: 1 } })).status, 201);
  assert.equal((await post(first.url, '/v1/actions', { action_name: 'Kept', request: { uri: 'https://x.test/' } })).status, 201);
  const stopped = await first.stop('SIGTERM');
  assert.equal(stopped.code, 0, stopped.err);

  const second = await spawnDev(t, ['--data', data]);
  assert.match(second.output(), /2 events, 1 users, 1 actions/);
  const list = (await getJson(second.url, '/api/events')).body;
  assert.deepEqual(list.events.map((e) => e.user_id), ['keep-2', 'keep-1']);
  assert.deepEqual((await getJson(second.url, '/api/events/1')).body.event, sent[0]);
  assert.deepEqual((await getJson(second.url, '/api/users/keep-1')).body.data, { user_id: 'keep-1', metadata: { a: 1 } });
  assert.equal((await getJson(second.url, '/api/actions')).body.total, 1);
  // new ids continue after the old ones
  await post(second.url, '/v1/events', makeEvent({ user_id: 'after-restart' }));
  assert.equal((await getJson(second.url, '/api/events')).body.events[0].id, 3);
  // and the terminal shows a line for it (quiet was only for the first run)
  assert.match(second.output(), /in\s+POST\s+201\s+8ms\s+https:\/\/api\.acme\.com\/items\/\d+\?x=1\s+user after-restart/);
  await second.stop();
});

test('killed with SIGKILL, then a torn last record: earlier events kept, no crash, new ones stored', async (t) => {
  const data = tempDir(t);
  const first = await spawnDev(t, ['--data', data, '--quiet']);
  for (let i = 0; i < 5; i++) assert.equal((await post(first.url, '/v1/events', makeEvent({ user_id: `before-${i}` }))).status, 201);
  await first.stop('SIGKILL'); // no chance to clean up: the LOCK file stays behind

  // A write cut short: half of a real record, after a damaged complete line.
  const segs = segments(data);
  const last = join(data, 'events', segs[segs.length - 1]);
  const sizeBefore = statSync(last).size;
  appendFileSync(last, '00000000 {"id":6,"at":"2026-01-01T00:00:00Z","d":{}}\n');
  appendFileSync(last, '3a1b9c2d {"id":7,"at":"2026-01-01T00:00:00.000Z","d":{"request":{"uri":"https://torn');

  const second = await spawnDev(t, ['--data', data]);
  assert.match(second.output(), /skipped 1 damaged record\(s\) and a torn write of \d+ bytes/);
  const list = (await getJson(second.url, '/api/events')).body;
  assert.deepEqual(list.events.map((e) => e.user_id), ['before-4', 'before-3', 'before-2', 'before-1', 'before-0']);
  assert.equal((await post(second.url, '/v1/events', makeEvent({ user_id: 'after-tear' }))).status, 201);
  assert.equal((await getJson(second.url, '/api/events')).body.events[0].user_id, 'after-tear');
  await second.stop();
  assert.ok(statSync(last).size > sizeBefore, 'the torn tail was cut and the new record appended');

  // garbage bytes with no record shape at all, in the entity log too
  appendFileSync(last, Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a, 0xde, 0xad]));
  appendFileSync(join(data, 'users.ndjson'), 'garbage');
  const third = await spawnDev(t, ['--data', data]);
  const after = (await getJson(third.url, '/api/events')).body;
  assert.equal(after.stored, 6);
  assert.equal(after.events[0].user_id, 'after-tear');
  assert.equal((await post(third.url, '/v1/users', { user_id: 'still-fine' })).status, 201);
  assert.equal((await getJson(third.url, '/api/users/still-fine')).status, 200);
  await third.stop();
});

test('--retention 50: 120 sent, the 50 newest kept, also after a restart', async (t) => {
  const data = tempDir(t);
  const first = await spawnDev(t, ['--data', data, '--retention', '50', '--quiet']);
  const all = Array.from({ length: 120 }, (_, i) => makeEvent({ user_id: `r${i}` }));
  // singles and batches of several sizes, one larger than the retention itself
  for (const e of all.slice(0, 10)) assert.equal((await post(first.url, '/v1/events', e)).status, 201);
  assert.equal((await post(first.url, '/v1/events/batch', all.slice(10, 40))).status, 201);
  assert.equal((await post(first.url, '/v1/events/batch', all.slice(40, 120))).status, 201);
  const check = async (url) => {
    const list = (await getJson(url, '/api/events?limit=1000')).body;
    assert.equal(list.stored, 50);
    assert.deepEqual(list.events.map((e) => e.user_id), all.slice(70).reverse().map((e) => e.user_id));
    assert.deepEqual(list.events.map((e) => e.id), Array.from({ length: 50 }, (_, i) => 120 - i));
    assert.equal((await getJson(url, '/api/events/70')).status, 404, 'an old one is gone');
    assert.deepEqual((await getJson(url, '/api/events/71')).body.event, all[70]);
  };
  await check(first.url);
  // old segment files are deleted: on disk stays within retention + one segment's worth
  const lines = segments(data).length;
  assert.ok(lines <= 11, `at most ~11 segment files, found ${lines}`);
  await first.stop();
  const second = await spawnDev(t, ['--data', data, '--retention', '50', '--quiet']);
  await check(second.url);
  await second.stop();
  // a smaller retention on the next start trims at once
  const third = await startQuiet(t, { dataDir: data, retention: 10 });
  assert.equal((await getJson(third.url, '/api/events')).body.stored, 10);
  assert.equal((await getJson(third.url, '/api/events')).body.events[9].user_id, 'r110');
});

test('a second collector on the same data dir is refused with a clear message', async (t) => {
  const data = tempDir(t);
  const first = await spawnDev(t, ['--data', data, '--quiet']);
  const { spawnSync } = await import('node:child_process');
  const { BIN } = await import('./support/helpers.mjs');
  const r = spawnSync(process.execPath, [BIN, 'dev', '--port', '0', '--data', data], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /in use by another moesif dev \(pid \d+\)/);
  await first.stop();
});
