// The rules' life (SPEC §8): off while the collector has none (nothing installed on the request
// path), fetched at start, again when a batch answer's X-Moesif-Rules-Tag changes and every
// minute; a failing fetch keeps the rules held; an empty list turns enforcement off.
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { startTestCollector } from '../support/collector.mjs';
import { request, capturedAtLeast } from '../support/app.mjs';
import { enable, flush, shutdown, stats } from '../../dist/index.mjs';
import { startRecordingApp, tagged } from './support.mjs';

// Only setInterval is mocked (the minute refresh): every other timer is real.
mock.timers.enable({ apis: ['setInterval'] });

const BLOCK_ALL = [{ _id: 'closed', type: 'regex', block: true, response: { status: 503, body: { error: 'closed' } } }];
const BLOCK_OLD = [{ _id: 'old-api', type: 'regex', block: true, regex_config: [{ conditions: [{ path: 'request.route', value: '^/old' }] }], response: { status: 410, body: { error: 'gone' } } }];

const collector = await startTestCollector({ rules: [], rulesTag: 'tag-0' });
const app = await startRecordingApp();
after(() => Promise.all([app.close(), collector.close()]));
enable({ applicationId: 'gov', baseUri: collector.url, batchSize: 1000, batchMaxTime: 60_000 });
await collector.waitFor((c) => c.state.rulesFetches === 1, 5_000, 'the rules fetch at start');

/** Sends a request, flushes its event: the batch answer carries the collector's current tag. */
async function send(path) {
  const t = tagged(path);
  const since = stats().captured;
  const response = await request(app.url + t.path);
  await capturedAtLeast(stats, since); // recorded when the response finished on the server
  await flush();
  return response.status;
}

/** Waits until `path` answers `status` (the new rules are parsed a moment after they arrived). */
async function until(path, status) {
  for (let i = 0; i < 300; i++) {
    if ((await request(app.url + path)).status === status) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} never answered ${status}`);
}

const installed = () => Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit') || Object.prototype.hasOwnProperty.call(https.Server.prototype, 'emit');

test('with no rules, nothing is installed on the request path', async () => {
  assert.equal(await send('/anything'), 200);
  assert.equal(installed(), false, 'http(s).Server.prototype.emit untouched');
});

test('a new X-Moesif-Rules-Tag on a batch answer fetches the rules, once per tag', async () => {
  collector.state.rules = BLOCK_OLD;
  collector.state.rulesTag = 'tag-1';
  assert.equal(await send('/old/a'), 200, 'the rules held are still the old (none)');
  await collector.waitFor((c) => c.state.rulesFetches === 2, 5_000, 'the fetch the new tag asks for');
  await until('/old/a', 410);
  assert.equal(installed(), true);
  assert.equal(await send('/new/a'), 200);
  for (let i = 0; i < 3; i++) await send('/old/b');
  assert.equal(collector.state.rulesFetches, 2, 'the same tag does not fetch again');
});

test('a failing fetch keeps the rules held: an error status, an answer that is not JSON, not a list', async () => {
  let fetches = collector.state.rulesFetches;
  const answers = [{ status: 500, body: 'down' }, { status: 200, body: 'not json' }, { status: 200, body: '{"rules":[]}' }];
  for (const [i, answer] of answers.entries()) {
    collector.state.rulesScript.push(answer);
    collector.state.rulesTag = `tag-fail-${i}`;
    collector.state.rules = []; // what a successful fetch would bring
    // A tag-driven fetch waits at least a second after the one before.
    await send('/old/c');
    await collector.waitFor((c) => c.state.rulesFetches === fetches + 1, 5_000, `fetch ${i}`);
    fetches++;
    assert.equal((await request(`${app.url}/old/c`)).status, 410, `after ${JSON.stringify(answer)}: the old rules hold`);
  }
});

test('every minute the rules are fetched again, tag or not', async () => {
  const before = collector.state.rulesFetches;
  collector.state.rules = BLOCK_ALL;
  mock.timers.tick(60_000);
  await collector.waitFor((c) => c.state.rulesFetches === before + 1, 5_000, 'the minute refresh');
  await until('/anything/else', 503);
});

test('an empty list turns enforcement off', async () => {
  collector.state.rules = [];
  collector.state.rulesTag = 'tag-empty';
  const before = collector.state.rulesFetches;
  mock.timers.tick(60_000);
  await collector.waitFor((c) => c.state.rulesFetches === before + 1, 5_000, 'the refresh');
  await until('/old/d', 200);
  assert.equal((await request(`${app.url}/anything`)).status, 200);
});

test('after shutdown() nothing is enforced and nothing is fetched', async () => {
  collector.state.rules = BLOCK_ALL;
  mock.timers.tick(60_000);
  await until('/x', 503);
  await shutdown({ timeoutMs: 1000 });
  assert.equal((await request(`${app.url}/x`)).status, 200);
  const fetches = collector.state.rulesFetches;
  mock.timers.tick(120_000);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(collector.state.rulesFetches, fetches);
});
