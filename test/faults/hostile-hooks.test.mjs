// Hostile configuration and hooks (issue 7): hooks that throw, return promises that resolve,
// reject or never settle, return 10 MB strings, circular or 100k-deep metadata, values of the
// wrong type; a maskEventModel that returns garbage; options of the wrong type (those
// test/core/options.test.mjs does not cover). Each under the real preload, in a child process:
// the app answers as it would without the agent, the agent says what is wrong once on stderr and
// nothing else, and the other events still arrive.
import { describe, test, after } from 'node:test';
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
const HOOKS = join(FIXTURES, 'faults', 'hooks.config.cjs');
const base = { MOESIF_BASE_URI: collector.url, MOESIF_APPLICATION_ID: `hooks-${process.pid}`, MOESIF_BATCH_MAX_TIME: '50' };

let tags = 0;
const tag = () => `h${process.pid}x${++tags}y`; // letters in it: never taken for a card number
const eventsOf = (t) => collector.events.filter((e) => typeof e.request === 'object' && e.request.uri?.includes(`t=${t}`));

/** What plain-http answers to GET /json?q=…, with or without an agent. */
function assertAnswer(res, q) {
  assert.equal(res.status, 201);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(res.headers['x-app'], 'yes');
  assert.deepEqual(JSON.parse(res.body), { got: null, q });
}

/**
 * Runs plain-http under the preload with HOOKS_CASE's hooks, sends one GET per query value (in
 * order), checks each answer, and returns { child, sent: [{ q, t, ms, at }] }.
 */
async function runHooks(hooksCase, queries, env = {}) {
  const child = startChild(PLAIN, { env: { ...base, MOESIF_CONFIG: HOOKS, HOOKS_CASE: hooksCase, ...env } });
  const port = await child.port();
  const sent = [];
  for (const q of queries) {
    const t = tag();
    const t0 = performance.now();
    const res = await request(`http://127.0.0.1:${port}/json?q=${q}&t=${t}`);
    const ms = performance.now() - t0;
    assertAnswer(res, q);
    assert.match(res.headers['x-moesif-transaction-id'], /^[0-9a-f-]{36}$/, 'captured');
    sent.push({ q, t, ms, at: performance.now() });
  }
  return { child, sent };
}

async function eventOf(t, timeoutMs = 10_000) {
  await collector.waitFor(() => eventsOf(t).length > 0, timeoutMs, `the event of ${t}`);
  assert.equal(eventsOf(t).length, 1, `one event for ${t}`);
  return eventsOf(t)[0];
}

/** The agent's stderr is exactly these lines (in any order): each cause said once, nothing else. */
function assertStderr(child, expected) {
  const lines = child.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, expected.length, `stderr:\n${child.stderr}`);
  for (const re of expected) assert.ok(lines.some((l) => re.test(l)), `${re} in stderr:\n${child.stderr}`);
  for (const l of lines) assert.match(l, /^\[moesif\] /, 'only the agent, tagged');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('hooks', { concurrency: 2 }, () => {
  test('hooks that throw (Errors, a string, null): only their field is lost; each said once; the next events whole', async () => {
    const { child, sent } = await runHooks('throwing', ['bad', 'good', 'bad', 'good']);
    try {
      for (const { q, t } of sent) {
        const event = await eventOf(t);
        assert.equal(event.response.status, 201);
        assert.deepEqual(event.response.body, { got: null, q }, 'the rest of the event is whole');
        if (q === 'bad') {
          for (const field of ['user_id', 'company_id', 'session_token', 'metadata']) assert.equal(event[field], undefined, field);
          assert.equal(event.request.api_version, undefined);
        } else {
          assert.equal(event.user_id, 'u-ok');
          assert.equal(event.company_id, 'c-ok');
          assert.equal(event.session_token, 's-ok');
          assert.deepEqual(event.metadata, { ok: true });
          assert.equal(event.request.api_version, 'v-ok');
        }
      }
      assertStderr(child, [
        /^\[moesif\] skip threw \(skip bug\); the event is kept \(said once\)$/,
        /^\[moesif\] identifyUser threw \(Cannot read properties of undefined \(reading 'id'\)\); that field is left out \(said once\)$/,
        /^\[moesif\] identifyCompany threw \(company bug\); that field is left out/,
        /^\[moesif\] getSessionToken threw \(a string, not an Error\); that field is left out/,
        /^\[moesif\] getMetadata threw \(null\); that field is left out/,
        /^\[moesif\] getApiVersion threw \(version bug\); that field is left out/,
      ]);
    } finally {
      await child.kill();
    }
  });

  test('hooks that return promises: resolved values are used, rejections cost their field, said once', async () => {
    const { child, sent } = await runHooks('async', ['good', 'bad', 'good']);
    try {
      for (const { q, t } of sent) {
        const event = await eventOf(t);
        assert.equal(event.session_token, 's-later', 'a promise settling 50 ms after the response');
        assert.equal(event.request.api_version, 'v-async');
        if (q === 'good') {
          assert.equal(event.user_id, 'u-async');
          assert.equal(event.company_id, 'c-async');
          assert.deepEqual(event.metadata, { async: true, q: 'good' });
        } else {
          assert.equal(event.user_id, undefined);
          assert.equal(event.company_id, undefined);
          assert.equal(event.metadata, undefined);
        }
      }
      assertStderr(child, [
        /^\[moesif\] identifyUser threw \(async user bug\); that field is left out/,
        /^\[moesif\] identifyCompany threw \(company rejected\); that field is left out/,
        /^\[moesif\] getMetadata threw \(not even an Error\); that field is left out/,
      ]);
    } finally {
      await child.kill();
    }
  });

  test('hooks that never settle: the answer is not delayed; the event arrives after the 1 s bound without their fields, said once', async () => {
    const queries = Array.from({ length: 16 }, (_, i) => (i % 2 ? 'good' : 'hang'));
    const { child, sent } = await runHooks('hang', queries);
    try {
      const hang = sent.filter((s) => s.q === 'hang').map((s) => s.ms);
      const good = sent.filter((s) => s.q === 'good').map((s) => s.ms);
      assert.ok(median(hang) < median(good) * 3 + 10, `answers not held by the hooks: median ${median(hang).toFixed(1)} ms with hanging hooks, ${median(good).toFixed(1)} ms without`);
      // The first hanging one: held for the bound (1 s after its answer), and no longer.
      const first = sent[0];
      await eventOf(first.t);
      const heldFor = performance.now() - first.at;
      assert.ok(heldFor > 900 && heldFor < 5_000, `delivered ${heldFor.toFixed(0)} ms after its answer`);
      for (const { q, t } of sent) {
        const event = await eventOf(t);
        assert.equal(event.response.status, 201);
        if (q === 'hang') {
          assert.equal(event.user_id, undefined);
          assert.equal(event.metadata, undefined);
        } else {
          assert.equal(event.user_id, 'u-ok');
          assert.deepEqual(event.metadata, { ok: true });
        }
      }
      assertStderr(child, [
        /^\[moesif\] identifyUser did not settle within 1000 ms; that field is left out/,
        /^\[moesif\] getMetadata did not settle within 1000 ms; that field is left out/,
      ]);
    } finally {
      await child.kill();
    }
  });

  test('hooks that return 10 MB strings: the event is kept without those fields, small; said once per hook', async () => {
    const { child, sent } = await runHooks('huge', ['bad', 'good', 'bad']);
    try {
      for (const { q, t } of sent) {
        const event = await eventOf(t);
        assert.ok(JSON.stringify(event).length < 10_000, 'no 10 MB rides along');
        assert.deepEqual(event.response.body, { got: null, q });
        if (q === 'bad') {
          for (const field of ['user_id', 'company_id', 'session_token', 'metadata']) assert.equal(event[field], undefined, field);
          assert.equal(event.request.api_version, undefined);
        } else {
          assert.equal(event.user_id, 'u-ok');
          assert.deepEqual(event.metadata, { ok: true });
        }
      }
      assertStderr(child, [
        /^\[moesif\] identifyUser returned a string of 10485760 characters \(over 4096\); that field is left out \(said once\)$/,
        /^\[moesif\] identifyCompany returned a string of 10485760 characters/,
        /^\[moesif\] getSessionToken returned a string of 10485760 characters/,
        /^\[moesif\] getApiVersion returned a string of 10485760 characters/,
        /^\[moesif\] metadata is 10485781 characters of JSON \(over 100000\); it is left out of the event \(said once\)$/,
      ]);
    } finally {
      await child.kill();
    }
  });

  test('circular and 100k-deep metadata: the metadata alone is left out, bodies kept; said once', async () => {
    // One at a time, each batch on its own: the circular one is serialized on the serializer
    // thread, the deep one on the main thread (too deep to copy to the thread). Said once still.
    const queries = ['bad', 'deep', 'good', 'bad'];
    const { child, sent } = await runHooks('circular', queries, { MOESIF_BATCH_SIZE: '1' });
    try {
      for (const { q, t } of sent) {
        const event = await eventOf(t);
        assert.equal(event.user_id, 'u-ok');
        assert.deepEqual(event.response.body, { got: null, q }, 'the bodies are not lost with the metadata');
        assert.equal(event.response.transfer_encoding, 'json');
        if (q === 'good') assert.deepEqual(event.metadata, { ok: true });
        else assert.equal(event.metadata, undefined);
      }
      // Where JSON.stringify is not recursive (Node 26), the deep one can be written: it is then
      // left out for its size (600 KB of braces).
      let deep = {};
      for (let i = 0; i < 100_000; i++) deep = { v: deep };
      const deepWritable = (() => {
        try {
          return JSON.stringify(deep).length > 0;
        } catch {
          return false;
        }
      })();
      assertStderr(child, [
        /^\[moesif\] metadata cannot be serialized \(circular, or nested too deep\); it is left out of the event \(said once\)$/,
        ...(deepWritable ? [/^\[moesif\] metadata is 600002 characters of JSON \(over 100000\); it is left out of the event/] : []),
      ]);
    } finally {
      await child.kill();
    }
  });

  test('hooks that return the wrong type (symbol, function, bigint, NaN, object, array): that field left out, said once per hook', async () => {
    const { child, sent } = await runHooks('wrong-types', ['symbol', 'fn', 'big', 'nan', 'obj', 'num', 'good']);
    try {
      const byQ = Object.fromEntries(await Promise.all(sent.map(async ({ q, t }) => [q, await eventOf(t)])));
      for (const q of ['symbol', 'fn', 'big', 'nan', 'obj']) {
        assert.equal(byQ[q].user_id, undefined, q);
        assert.equal(byQ[q].company_id, undefined, q);
      }
      assert.equal(byQ.symbol.metadata, undefined, 'a string is no metadata');
      assert.equal(byQ.fn.metadata, undefined, 'an array is no metadata');
      assert.equal(byQ.big.metadata, undefined);
      assert.deepEqual(byQ.obj.metadata, { fine: true });
      assert.equal(byQ.obj.request.api_version, 'v-obj');
      assert.equal(byQ.num.user_id, '42', 'a finite number is an id');
      assert.equal(byQ.num.company_id, '42');
      assert.deepEqual(byQ.num.metadata, { n: 42 });
      assert.equal(byQ.good.user_id, 'u-ok');
      assert.deepEqual(byQ.good.metadata, { ok: true });
      for (const e of Object.values(byQ)) assert.equal(e.response.status, 201);
      assertStderr(child, [
        /^\[moesif\] identifyUser returned a symbol, not a string; that field is left out \(said once\)$/,
        /^\[moesif\] identifyCompany returned a symbol, not a string; that field is left out/,
        /^\[moesif\] getMetadata returned a string, not an object; metadata is left out/,
        /^\[moesif\] getApiVersion returned number 7, not a string; that field is left out/,
      ]);
    } finally {
      await child.kill();
    }
  });

  test('maskEventModel returning garbage (null, a number, a string, {}, no request, request not an object, a Promise, a throw, a cycle): dropped and counted, said once; the good events arrive', async () => {
    const garbage = ['null', 'number', 'string', 'empty', 'no-request', 'request-not-object', 'promise', 'throws', 'circular'];
    const { child, sent } = await runHooks('mask', ['good', ...garbage, 'good']);
    try {
      const good = sent.filter((s) => s.q === 'good');
      for (const { t } of good) {
        const event = await eventOf(t);
        assert.deepEqual(event.metadata, { masked: true });
        assert.deepEqual(event.response.body, { got: null, q: 'good' });
      }
      // The last good one went after every garbage one: their fate is decided by now.
      for (const { q, t } of sent.filter((s) => s.q !== 'good')) assert.deepEqual(eventsOf(t), [], `${q}: not sent`);
      const strays = collector.events.filter((e) => typeof e.request !== 'object' || e.request === null);
      assert.deepEqual(strays, [], 'nothing that is not an event reached the collector');
      assertStderr(child, [
        /^\[moesif\] maskEventModel threw or returned no event; such events are dropped \(counted in stats\(\)\.dropped\.mask_error\)$/,
        /^\[moesif\] an event cannot be serialized \(circular, or nested too deep; from maskEventModel\?\); such events are dropped \(counted in stats\(\)\.dropped\.serialize_error\)$/,
      ]);
    } finally {
      await child.kill();
    }
  });
});

function configDir(name, source) {
  const dir = mkdtempSync(join(tmpdir(), 'moesif-hostile-'));
  writeFileSync(join(dir, name), source);
  return dir;
}

// Wrong types test/core/options.test.mjs does not try: each refused with one message naming the
// option and what it got; capture stays off; the app answers as without the agent.
const cjs = (body) => ['moesif.config.cjs', body];
const wrongTypes = [
  { name: 'config module exporting a string', config: cjs(`module.exports = 'my-app-id';`), message: /option options \(config .*moesif\.config\.cjs\) must be an object, got "my-app-id"/ },
  { name: 'config module exporting a Promise', config: cjs(`module.exports = Promise.resolve({ apiVersion: 'x' });`), message: /option options \(config .*\) must be an object, got a Promise \(give the options themselves\)/ },
  { name: 'enable() given the application id alone', script: ENABLE, env: { APP_ENABLE: JSON.stringify('my-app-id') }, message: /option options \(enable\(\)\) must be an object, got "my-app-id"/ },
  { name: 'enable() given an array', script: ENABLE, env: { APP_ENABLE: JSON.stringify([{ applicationId: 'x' }]) }, message: /option options \(enable\(\)\) must be an object, got an array/ },
  { name: 'negative size', config: cjs(`module.exports = { requestMaxBodySize: -1 };`), message: /option requestMaxBodySize \(config .*\) must be a whole number of bytes \(0 or more\), got number -1/ },
  { name: 'NaN size', config: cjs(`module.exports = { responseMaxBodySize: NaN };`), message: /option responseMaxBodySize \(config .*\) must be a whole number of bytes \(0 or more\), got number NaN/ },
  { name: 'Infinity size', config: cjs(`module.exports = { requestMaxBodySize: Infinity };`), message: /got number Infinity/ },
  { name: "size as '1mb'", config: cjs(`module.exports = { requestMaxBodySize: '1mb' };`), message: /option requestMaxBodySize \(config .*\) must be a whole number of bytes \(0 or more\), got "1mb"/ },
  { name: 'fractional batch size', config: cjs(`module.exports = { batchSize: 1.5 };`), message: /option batchSize \(config .*\) must be a whole number above 0, got number 1\.5/ },
  { name: 'batchMaxTime past what a timer holds', config: cjs(`module.exports = { batchMaxTime: 3e9 };`), message: /option batchMaxTime \(config .*\) must be a whole number from 1 to 2147483647, got number 3000000000/ },
  { name: 'batchMaxTime past what a timer holds, from env', env: { MOESIF_BATCH_MAX_TIME: '3000000000' }, message: /option batchMaxTime \(env MOESIF_BATCH_MAX_TIME\) must be a whole number from 1 to 2147483647, got number 3000000000/ },
  { name: 'header masks of numbers', config: cjs(`module.exports = { requestHeaderMasks: [1, 2] };`), message: /option requestHeaderMasks \(config .*\) must be an array of strings, got an array/ },
  { name: 'header masks as an object', config: cjs(`module.exports = { responseHeaderMasks: { authorization: true } };`), message: /option responseHeaderMasks \(config .*\) must be an array of strings, got an object/ },
  { name: 'application id as a number', config: cjs(`module.exports = { applicationId: 42 };`), message: /option applicationId \(config .*\) must be a non-empty string, got number 42/ },
  { name: 'blank application id', config: cjs(`module.exports = { applicationId: '   ' };`), message: /option applicationId \(config .*\) must be a non-empty string, got "   "/ },
  { name: 'base URI as a number', config: cjs(`module.exports = { baseUri: 42 };`), message: /option baseUri \(config .*\) must be an http\(s\) URL string, got number 42/ },
  { name: "logBody as 'yes' in code", config: cjs(`module.exports = { logBody: 'yes' };`), message: /option logBody \(config .*\) must be true or false, got "yes"/ },
  { name: 'maskEventModel as an object', config: cjs(`module.exports = { maskEventModel: { request: {} } };`), message: /option maskEventModel \(config .*\) must be a function, got an object/ },
  { name: 'an option getter that throws', config: cjs(`module.exports = { get apiVersion() { throw new Error('getter bug'); } };`), message: /cannot load options: getter bug/ },
];

describe('options of the wrong type', { concurrency: 3 }, () => {
  for (const c of wrongTypes) {
    test(`${c.name}: one clear message, capture off, the app answers`, async () => {
      const cwd = c.config ? configDir(...c.config) : undefined;
      const child = startChild(c.script ?? PLAIN, { env: { ...base, ...c.env }, cwd, preload: c.script ? 'none' : 'import' });
      try {
        const port = await child.port();
        const res = await request(`http://127.0.0.1:${port}/json?q=typed`);
        assertAnswer(res, 'typed');
        assert.equal(res.headers['x-moesif-transaction-id'], undefined, 'capture is off');
        await child.waitFor(c.message, { stream: 'stderr', timeoutMs: 5_000 });
        const lines = child.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, `one message, got: ${child.stderr}`);
        assert.match(lines[0], /^\[moesif\] .*; capture is off, the app runs as without the agent$/);
      } finally {
        await child.kill();
      }
    });
  }

  test('an ESM config module that rejects after the app started: capture stops with one message; the app answers', async () => {
    const cwd = configDir('moesif.config.mjs', `await new Promise((r) => setTimeout(r, 100));\nthrow new Error('async config bug');\n`);
    const child = startChild(PLAIN, { env: base, cwd });
    try {
      const port = await child.port();
      await child.waitFor(/cannot load options: async config bug; capture is off/, { stream: 'stderr' });
      const res = await request(`http://127.0.0.1:${port}/json?q=later`);
      assertAnswer(res, 'later');
      assert.equal(res.headers['x-moesif-transaction-id'], undefined, 'capture is off');
      assert.equal(child.stderr.split('\n').filter(Boolean).length, 1, child.stderr);
    } finally {
      await child.kill();
    }
  });
});
