// `npm run demo` (the README's main job) ends by itself, exits 0 and shows every kind of event
// it promises: incoming JSON, binary, error, slow, not found, outgoing fetch and http.get, a user
// identified from a JWT, and the user and company updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, childEnv } from './support/child.mjs';

test('npm run demo prints every promised event and exits 0', () => {
  const data = mkdtempSync(join(tmpdir(), 'moesif-demo-'));
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs'), '--data', data], { cwd: ROOT, env: childEnv(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const out = run.stdout;
  assert.match(out, /Captured 10 events \(8 incoming, 2 outgoing\)/);
  const row = (dir, verb, status, uri) => new RegExp(`\\s${dir}\\s+${verb}\\s+${status}\\s.*${uri.replace(/[?]/g, '\\?')}`);
  assert.match(out, row('in', 'POST', 201, '/api/orders'));
  assert.match(out, /user_ada\s+\/api\/orders/);
  assert.match(out, row('in', 'POST', 200, '/api/upload'));
  assert.match(out, row('in', 'GET', 500, '/api/fail'));
  assert.match(out, row('in', 'GET', 200, '/api/slow'));
  assert.match(out, row('in', 'GET', 404, '/api/missing'));
  assert.match(out, row('out', 'GET', 200, '/forecast?city=Lisbon'));
  assert.match(out, row('out', 'GET', 200, '/stock?sku=A-1'));
  assert.match(out, /Users: user_ada\s+Companies: acme/);
  assert.match(out, /Viewer:\s+http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(out, new RegExp(`Data dir:\\s+.*${data.split('/').pop()}`));
  assert.doesNotMatch(out, /Missing:/);
});
