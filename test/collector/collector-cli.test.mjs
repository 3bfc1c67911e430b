// `moesif dev` from the command line: what it prints, its options, its errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, getJson, spawnDev, startQuiet, tempDir } from './support/helpers.mjs';

const run = (args, opts = {}) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000, ...opts });

test('--help lists the options', () => {
  for (const args of [['--help'], ['dev', '--help'], []]) {
    const r = run(args);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: moesif dev/);
    for (const flag of ['--port', '--host', '--data', '--retention']) assert.match(r.stdout, new RegExp(flag));
  }
});

test('bad options fail with a clear message and exit code 2', () => {
  const cases = [
    [['dev', '--port', 'abc'], /--port takes a whole number/],
    [['dev', '--port', '70000'], /--port takes a whole number from 0 to 65535/],
    [['dev', '--retention', '0'], /--retention takes a whole number from 1/],
    [['dev', '--data'], /--data needs a value/],
    [['dev', '--bogus'], /unknown option --bogus/],
    [['serve'], /unknown command "serve"/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('defaults: 127.0.0.1, ./.moesif-data in the working directory, both printed; --port=N form', async (t) => {
  const cwd = realpathSync(tempDir(t));
  const dev = await spawnDev(t, [], { cwd });
  const out = dev.output();
  assert.match(out, /listening on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /viewer\s+http:\/\/127\.0\.0\.1:\d+\//);
  assert.ok(out.includes(join(cwd, '.moesif-data')), out);
  assert.ok(existsSync(join(cwd, '.moesif-data', 'moesif-local-store.json')));
  assert.ok(existsSync(join(cwd, '.moesif-data', '.gitignore')), 'captured traffic is kept out of git');
  assert.equal((await getJson(dev.url, '/api/stats')).body.data_dir, join(cwd, '.moesif-data'));
  const r = await dev.stop('SIGINT');
  assert.equal(r.code, 0);
  assert.match(r.out, /stopped \(SIGINT\)/);
});

test('a port already in use is a clear error, exit code 1', async (t) => {
  const busy = await startQuiet(t, { dataDir: tempDir(t) });
  const r = run(['dev', `--port=${busy.port}`, '--data', tempDir(t)]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is already in use`));
});

test('one line per event in the terminal, control characters shown escaped', async (t) => {
  const { makeEvent, post } = await import('./support/helpers.mjs');
  const dev = await spawnDev(t, ['--data', tempDir(t)]);
  await post(dev.url, '/v1/events/batch', [
    makeEvent({ request: { verb: 'GET', uri: 'http://localhost:3000/items?x=1' }, response: { status: 200 }, user_id: 'u1', company_id: undefined }),
    makeEvent({ direction: 'Outgoing', request: { verb: 'POST', uri: 'https://api.stripe.test/v1/charges' }, response: { status: 502 }, user_id: undefined, company_id: undefined }),
    makeEvent({ request: { uri: 'http://localhost:3000/\u001b[2J\u001b[31mred' }, user_id: undefined, company_id: undefined }),
  ]);
  await post(dev.url, '/v1/users', { user_id: 'u1', company_id: 'acme' });
  const { waitFor } = await import('./support/helpers.mjs');
  await waitFor(() => /company acme/.test(dev.output()), 'the user line');
  const lines = dev.output().split('\n');
  const line = (re) => lines.find((l) => re.test(l));
  assert.match(line(/items/), /^\d\d:\d\d:\d\d\.\d{3}  in   GET     200     8ms  http:\/\/localhost:3000\/items\?x=1  user u1$/);
  assert.match(line(/stripe/), /^\d\d:\d\d:\d\d\.\d{3}  out  POST    502     8ms  https:\/\/api\.stripe\.test\/v1\/charges$/);
  assert.ok(line(/red$/).includes('http://localhost:3000/\\x1b[2J\\x1b[31mred'), 'escape sequences are not sent to the terminal raw');
  assert.ok(!dev.output().includes('\u001b'), 'no escape codes at all when stdout is not a TTY');
  assert.match(line(/company acme/), /^\d\d:\d\d:\d\d\.\d{3}  user {8}u1  company acme$/);
  await dev.stop();
});
