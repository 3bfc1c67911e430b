// Options from env, config module and enable(), their precedence, and every invalid form
// rejected with a clear message while the app keeps answering (under the real preload).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { request } from '../support/app.mjs';

const collector = await startTestCollector();
after(() => collector.close());
const PLAIN = join(FIXTURES, 'plain-http.mjs');
const ENABLE = join(FIXTURES, 'enable-app.mjs');
const base = { MOESIF_BASE_URI: collector.url, MOESIF_APPLICATION_ID: 'opts', MOESIF_BATCH_MAX_TIME: '50' };

function configDir(name, source) {
  const dir = mkdtempSync(join(tmpdir(), 'moesif-cfg-'));
  writeFileSync(join(dir, name), source);
  return dir;
}

/** Runs the app, makes one request tagged with a unique path, returns the event and the child. */
async function oneEvent(script, { env = {}, cwd, preload = 'import', headers = {} } = {}) {
  const child = startChild(script, { env: { ...base, ...env }, cwd, preload });
  try {
    const port = await child.port();
    const tag = `/json?tag=${Math.random().toString(36).slice(2)}`;
    const res = await request(`http://127.0.0.1:${port}${tag}`, { headers });
    assert.equal(res.status, 201);
    await collector.waitFor((c) => c.events.some((e) => e.request.uri.endsWith(tag)), 10_000, tag);
    return collector.events.find((e) => e.request.uri.endsWith(tag));
  } finally {
    await child.kill();
  }
}

test('env alone: MOESIF_* variables configure the preload', async () => {
  const event = await oneEvent(PLAIN, { env: { MOESIF_API_VERSION: 'from-env', MOESIF_REQUEST_HEADER_MASKS: 'x-secret-thing, x-other' }, headers: { 'x-secret-thing': 'v', 'x-kept': 'k' } });
  assert.equal(event.request.api_version, 'from-env');
  assert.equal(event.request.headers['x-secret-thing'], undefined);
  assert.equal(event.request.headers['x-kept'], 'k');
  const sent = collector.state.requests.find((r) => r.path === '/v1/events/batch' && r.body.some((e) => e === event || e.request.uri === event.request.uri));
  assert.equal(sent.headers['x-moesif-application-id'], 'opts');
});

test('config module in the working directory beats env, and gives hooks to the preload', async () => {
  const cwd = configDir('moesif.config.mjs', `export default { apiVersion: 'from-file', identifyUser: (req) => req.headers['x-user'] };\n`);
  const event = await oneEvent(PLAIN, { cwd, env: { MOESIF_API_VERSION: 'from-env' }, headers: { 'x-user': 'file-user' } });
  assert.equal(event.request.api_version, 'from-file');
  assert.equal(event.user_id, 'file-user');
});

test('an ESM config module with top-level await still configures the preload', async () => {
  const cwd = configDir('moesif.config.mjs', `const v = await Promise.resolve('from-tla');\nexport default { apiVersion: v };\n`);
  const event = await oneEvent(PLAIN, { cwd });
  assert.equal(event.request.api_version, 'from-tla');
});

test('a CJS config module named by MOESIF_CONFIG, with the --require preload', async () => {
  const dir = configDir('custom.cjs', `module.exports = { apiVersion: 'from-cjs', getMetadata: () => ({ via: 'cjs' }) };\n`);
  const event = await oneEvent(PLAIN, { preload: 'require', env: { MOESIF_CONFIG: join(dir, 'custom.cjs') } });
  assert.equal(event.request.api_version, 'from-cjs');
  assert.deepEqual(event.metadata, { via: 'cjs' });
});

test('enable() beats the config module, which beats env', async () => {
  const cwd = configDir('moesif.config.cjs', `module.exports = { apiVersion: 'from-file', requestHeaderMasks: ['x-a'] };\n`);
  const event = await oneEvent(ENABLE, {
    cwd,
    preload: 'none',
    env: { MOESIF_API_VERSION: 'from-env', APP_ENABLE: JSON.stringify({ apiVersion: 'from-code' }) },
    headers: { 'x-a': '1' },
  });
  assert.equal(event.request.api_version, 'from-code');
  assert.equal(event.request.headers['x-a'], undefined, 'config module options still apply below enable()');
});

test('preload plus enable(): the second call reconfigures the one agent, one event per request', async () => {
  const tagCount = collector.events.length;
  const event = await oneEvent(ENABLE, { env: { APP_ENABLE: JSON.stringify({ apiVersion: 'second' }), APP_HOOKS: 'user' }, headers: { 'x-user': 'u-77' } });
  assert.equal(event.request.api_version, 'second');
  assert.equal(event.user_id, 'u-77');
  const same = collector.events.slice(tagCount).filter((e) => e.request.uri === event.request.uri);
  assert.equal(same.length, 1);
});

const invalid = [
  { name: 'bad boolean in env', env: { MOESIF_LOG_BODY: 'maybe' }, message: /option logBody \(env MOESIF_LOG_BODY\) must be true\/false\/1\/0\/yes\/no, got "maybe"/ },
  { name: 'bad number in env', env: { MOESIF_BATCH_SIZE: 'ten' }, message: /option batchSize \(env MOESIF_BATCH_SIZE\) must be a whole number, got "ten"/ },
  { name: 'bad URL in env', env: { MOESIF_BASE_URI: 'ftp://nowhere' }, message: /option baseUri \(env MOESIF_BASE_URI\) must be an http\(s\) URL/ },
  { name: 'zero batch size in enable()', script: ENABLE, env: { APP_ENABLE: JSON.stringify({ batchSize: 0 }) }, message: /option batchSize \(enable\(\)\) must be a whole number above 0, got number 0/ },
  { name: 'unknown option in enable()', script: ENABLE, env: { APP_ENABLE: JSON.stringify({ application_id: 'x' }) }, message: /option application_id \(enable\(\)\) is not a known option \(did you mean applicationId\?\)/ },
  { name: 'hook that is not a function in the config module', config: ['moesif.config.mjs', 'export default { identifyUser: "req.user" };'], message: /option identifyUser \(config .*moesif\.config\.mjs\) must be a function, got "req\.user"/ },
  { name: 'config module that throws', config: ['moesif.config.cjs', 'throw new Error("broken config");'], message: /cannot load options: broken config/ },
];

for (const c of invalid) {
  test(`invalid: ${c.name} → one clear message, capture off, app answers`, async () => {
    const cwd = c.config ? configDir(...c.config) : undefined;
    const before = collector.events.length;
    const child = startChild(c.script ?? PLAIN, { env: { ...base, ...c.env }, cwd, preload: c.script ? 'none' : 'import' });
    try {
      const port = await child.port();
      const res = await request(`http://127.0.0.1:${port}/json?q=invalid`, { method: 'POST', body: '{"a":1}' });
      assert.equal(res.status, 201);
      assert.deepEqual(JSON.parse(res.body), { got: { a: 1 }, q: 'invalid' });
      assert.equal(res.headers['x-moesif-transaction-id'], undefined, 'capture is off');
      await child.waitFor(c.message, { stream: 'stderr', timeoutMs: 5_000 });
      const lines = child.stderr.split('\n').filter((l) => l.startsWith('[moesif]'));
      assert.equal(lines.length, 1, `one message, got: ${child.stderr}`);
      assert.match(lines[0], /capture is off/);
    } finally {
      await child.kill();
    }
    assert.equal(collector.events.length, before);
  });
}

test('no application id and no base URI: off, said once', async () => {
  const child = startChild(PLAIN, { env: {} });
  try {
    const port = await child.port();
    await request(`http://127.0.0.1:${port}/json`);
    await request(`http://127.0.0.1:${port}/json`);
    assert.match(child.stderr, /MOESIF_APPLICATION_ID is not set/);
    assert.equal(child.stderr.split('\n').filter(Boolean).length, 1);
  } finally {
    await child.kill();
  }
});

test('a throwing hook and a wrong-typed hook cost only their field', async () => {
  const event = await oneEvent(ENABLE, { preload: 'none', env: { APP_HOOKS: 'throwing,bad-type', APP_ENABLE: JSON.stringify({ apiVersion: 'still' }) } });
  assert.equal(event.request.api_version, 'still');
  assert.equal(event.user_id, undefined);
  assert.equal(event.company_id, undefined);
  assert.equal(event.response.status, 201);
});
