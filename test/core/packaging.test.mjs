// One agent per process (SPEC §1): the package loaded as ESM and CJS, from two copies in
// node_modules, and by preload plus enable(), captures each request once; the exports map
// resolves `moesif` and `moesif/register` for both module systems.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, ROOT } from '../support/child.mjs';
import { request } from '../support/app.mjs';

let collector;
let dir;
before(async () => {
  collector = await startTestCollector();
  // An app folder with the package installed twice: its own copy and a library's nested copy.
  dir = mkdtempSync(join(tmpdir(), 'moesif-pkg-'));
  const install = (target) => {
    mkdirSync(target, { recursive: true });
    for (const f of ['package.json', 'register.js', 'dist']) cpSync(join(ROOT, f), join(target, f), { recursive: true });
    // its runtime dependencies, as npm would place them
    cpSync(join(ROOT, 'node_modules', 'shimmer'), join(target, 'node_modules', 'shimmer'), { recursive: true });
  };
  install(join(dir, 'node_modules', 'moesif'));
  install(join(dir, 'node_modules', 'lib', 'node_modules', 'moesif'));
  writeFileSync(join(dir, 'node_modules', 'lib', 'package.json'), JSON.stringify({ name: 'lib', main: 'index.js' }));
  writeFileSync(join(dir, 'node_modules', 'lib', 'index.js'), `const m = require('moesif'); m.enable({ apiVersion: 'lib-copy' }); module.exports = m;\n`);
  writeFileSync(
    join(dir, 'app.mjs'),
    `import http from 'node:http';
import { createRequire } from 'node:module';
import * as esm from 'moesif';
const require = createRequire(import.meta.url);
const cjs = require('moesif');
esm.enable({ batchMaxTime: 50 });
cjs.enable({ batchMaxTime: 50 });
const lib = require('lib');
const server = http.createServer((req, res) => {
  if (req.url === '/stats') return res.end(JSON.stringify([esm.stats(), cjs.stats(), lib.stats()]));
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port + ' ' + require.resolve('moesif/register')));
`,
  );
  writeFileSync(join(dir, 'app.cjs'), `const http = require('node:http');\nconst m = require('moesif');\nm.enable({ batchMaxTime: 50 });\nconst s = http.createServer((q, r) => r.end('cjs'));\ns.listen(0, '127.0.0.1', () => console.log('listening ' + s.address().port));\n`);
});
after(async () => {
  await collector?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function eventsFor(script, preload, tag) {
  const env = { MOESIF_BASE_URI: collector.url, MOESIF_APPLICATION_ID: 'pkg' };
  const child = startChild(join(dir, script), { env, preload: 'none', cwd: dir, nodeArgs: preload ? [preload, 'moesif/register'] : [] });
  try {
    const port = await child.port();
    await request(`http://127.0.0.1:${port}/${tag}`);
    await collector.waitFor((c) => c.events.some((e) => e.request.uri.endsWith(tag)), 10_000, tag);
    const stats = script.endsWith('.mjs') ? JSON.parse((await request(`http://127.0.0.1:${port}/stats`)).body) : undefined;
    await new Promise((r) => setTimeout(r, 200)); // a second copy would send its duplicate within its batch time
    return { events: collector.events.filter((e) => e.request.uri.endsWith(tag)), stats, stdout: child.stdout };
  } finally {
    await child.kill();
  }
}

test('ESM + CJS + a nested second copy, each calling enable(): one event per request, one agent', async () => {
  const { events, stats, stdout } = await eventsFor('app.mjs', undefined, 'dual');
  assert.equal(events.length, 1);
  assert.equal(events[0].request.api_version, 'lib-copy', 'the last enable() (from the nested copy) reconfigured the one agent');
  assert.deepEqual(stats[0], stats[1]);
  assert.deepEqual(stats[1], stats[2]);
  assert.match(stdout, /node_modules\/moesif\/register\.js/);
});

test('--import moesif/register plus the same app: still once', async () => {
  const { events } = await eventsFor('app.mjs', '--import', 'preload-esm');
  assert.equal(events.length, 1);
});

test('--require moesif/register with a CJS app', async () => {
  const { events } = await eventsFor('app.cjs', '--require', 'preload-cjs');
  assert.equal(events.length, 1);
  assert.equal(events[0].response.body, Buffer.from('cjs').toString('base64'));
});
