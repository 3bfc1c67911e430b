// The incoming-capture cases every framework app (test/fixtures/frameworks/) is driven through.
// One app per framework runs under the real preload, and the same app runs without the agent:
// each case sends the same request to both, checks the responses are the same bytes (but for Date
// and the transaction id), then checks the event that reached a real collector, field by field,
// against what the client sent and what it got.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';
import { jwt } from '../support/app.mjs';

const APPS = join(FIXTURES, 'frameworks');
const LIMIT = 100_000;
const CA = readFileSync(join(FIXTURES, 'certs', 'cert.pem'));
const SSE_EVENTS = 3;

/** Request and response headers as the collector gets them: lower-case, repeats joined. */
function normalize(raw) {
  const out = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'set-cookie') (out[name] ??= []).push(raw[i + 1]);
    else out[name] = name in out ? `${out[name]}, ${raw[i + 1]}` : raw[i + 1];
  }
  return out;
}

/** SPEC §4 applied to bytes the test knows: what the event's body must be. */
function expectedBody(bytes, headers, side) {
  const marker = { body: { msg: `${side}.body.length exceeded ${side}MaxBodySize of ${LIMIT} bytes` }, transfer_encoding: 'json' };
  if (!bytes || bytes.length === 0) return { body: undefined, transfer_encoding: undefined };
  if (bytes.length > LIMIT) return marker;
  if (headers['content-encoding'] === 'gzip') bytes = gunzipSync(bytes);
  if (bytes.length > LIMIT) return marker;
  if (/^application\/(.+\+)?json/.test(headers['content-type'] ?? '')) {
    try {
      return { body: JSON.parse(bytes.toString('utf8')), transfer_encoding: 'json' };
    } catch {}
  }
  return { body: bytes.toString('base64'), transfer_encoding: 'base64' };
}

/**
 * The cases. `send` is the request; `check(event, ctx)` adds what is particular to the case on top
 * of the checks every event gets. `compare: false` skips the with/without-agent comparison.
 */
function cases(fw) {
  const bin = randomBytes(4096);
  const over = randomBytes(150_000);
  const big = randomBytes(64 * 1024);
  const unread = randomBytes(16_000); // arrives with the headers: Node drops what comes after an unread request's response (see early-answer.test.mjs)
  const raw = { 'content-type': 'application/x-bytes' };
  const digestOf = async (buf) => {
    const { createHash } = await import('node:crypto');
    return { length: buf.length, sha256: createHash('sha256').update(buf).digest('base64') }; // as routes.mjs digest()
  };
  return [
    {
      name: 'GET with query; JWT user, company from a hook',
      send: { method: 'GET', path: '/items?color=red&size=10&q=a%20b', headers: { accept: 'application/json', 'x-company': 'acme', authorization: `Bearer ${jwt({ sub: 'jwt-user' })}` } },
      check(event, { got }) {
        assert.equal(got.status, 200);
        assert.deepEqual(JSON.parse(got.body), { route: 'items', query: { color: 'red', size: '10', q: 'a b' } });
        assert.equal(event.user_id, 'jwt-user');
        assert.equal(event.company_id, 'acme');
        assert.equal(event.request.headers.authorization, 'Bearer <redacted>');
      },
    },
    {
      name: 'POST JSON read by the framework body parser',
      send: { method: 'POST', path: '/json', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ name: 'widget', price: 12.5, tags: ['a', 'b'] })) },
      check(event, { got }) {
        assert.deepEqual(JSON.parse(got.body), { got: { name: 'widget', price: 12.5, tags: ['a', 'b'] } });
        assert.deepEqual(event.request.body, { name: 'widget', price: 12.5, tags: ['a', 'b'] });
        assert.equal(event.request.transfer_encoding, 'json');
      },
    },
    {
      name: 'POST binary',
      send: { method: 'POST', path: '/binary', headers: { 'content-type': 'application/octet-stream' }, body: bin },
      async check(event, { got }) {
        assert.deepEqual(JSON.parse(got.body), await digestOf(bin));
        assert.equal(event.request.body, bin.toString('base64'));
        assert.equal(event.request.transfer_encoding, 'base64');
      },
    },
    {
      name: 'gzip response, decoded in the event',
      send: { method: 'GET', path: '/gzip' },
      check(event, { got }) {
        assert.equal(got.headers['content-encoding'], 'gzip');
        assert.deepEqual(event.response.body, { compressed: true, items: [1, 2, 3] });
        assert.equal(event.response.headers['content-encoding'], 'gzip');
      },
    },
    {
      name: '404 from the framework',
      send: { method: 'GET', path: '/missing?x=1' },
      check(event, { got }) {
        assert.equal(got.status, 404);
        assert.equal(event.response.status, 404);
      },
    },
    {
      name: 'a handler that throws: the framework 500',
      send: { method: 'GET', path: '/throw' },
      check(event, { got }) {
        assert.equal(got.status, 500);
        assert.equal(event.response.status, 500);
      },
    },
    {
      name: 'request body over the limit: the app gets every byte, the event the marker',
      send: { method: 'POST', path: '/binary', headers: { 'content-type': 'application/octet-stream' }, body: over },
      async check(event, { got }) {
        assert.deepEqual(JSON.parse(got.body), await digestOf(over));
        assert.deepEqual(event.request.body, { msg: 'request.body.length exceeded requestMaxBodySize of 100000 bytes' });
      },
    },
    {
      name: 'response body over the limit: the client gets every byte, the event the marker',
      send: { method: 'GET', path: '/large' },
      check(event, { got }) {
        assert.equal(got.body.length, JSON.stringify({ filler: 'x'.repeat(150_000) }).length);
        assert.deepEqual(event.response.body, { msg: 'response.body.length exceeded responseMaxBodySize of 100000 bytes' });
      },
    },
    {
      name: 'SSE: each message reaches the client before the next is sent; one event at the end',
      send: { method: 'GET', path: '/sse', sse: true },
      check(event, { got }) {
        assert.equal(got.messages, SSE_EVENTS);
        assert.match(got.headers['content-type'], /^text\/event-stream/);
        assert.equal(event.response.body, got.body.toString('base64'));
      },
    },
    {
      name: 'a client that aborts: status 499, what was sent so far',
      send: { method: 'GET', path: '/hang', abort: true },
      compare: false,
      check(event, { sent }) {
        assert.equal(event.response.status, 499);
        assert.equal(event.response.headers['x-moesif-transaction-id'], event.request.headers['x-moesif-transaction-id']);
        assert.equal(event.response.body, undefined);
        assert.equal(event.request.uri.endsWith(sent.path), true);
      },
    },
    {
      name: 'async-iteration reader',
      send: { method: 'POST', path: '/iterate', headers: raw, body: big },
      async check(event, { got }) {
        assert.deepEqual(JSON.parse(got.body), await digestOf(big));
        assert.equal(event.request.body, big.toString('base64'));
      },
    },
    {
      name: 'pipe() reader',
      send: { method: 'POST', path: '/pipe', headers: raw, body: big },
      async check(event, { got }) {
        assert.deepEqual(JSON.parse(got.body), await digestOf(big));
        assert.equal(event.request.body, big.toString('base64'));
      },
    },
    {
      name: 'an app that never reads the body',
      send: { method: 'POST', path: '/ignore', headers: raw, body: unread },
      check(event, { got }) {
        assert.equal(got.body.toString(), 'ignored');
        assert.equal(event.request.body, unread.toString('base64'), 'the whole body, though the app never read it');
      },
    },
    {
      name: 'the framework user beats the JWT; the framework session',
      send: { method: 'GET', path: '/user', headers: { 'x-user': 'fw-user', 'x-session': 'sess-1', authorization: `Bearer ${jwt({ sub: 'jwt-user' })}` } },
      check(event) {
        assert.equal(event.user_id, 'fw-user');
        assert.equal(event.session_token, fw.session ? 'sess-1' : undefined);
      },
    },
  ];
}

let ids = 0;

/** Sends one case's request; resolves with what the client got (or after aborting). */
function send(base, spec, child, agentOptions) {
  const id = `t${process.pid}-${++ids}`;
  const headers = { ...(spec.headers ?? {}), 'x-test-id': id };
  if (spec.body) headers['content-length'] = String(spec.body.length);
  const client = base.startsWith('https') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(`${base}${spec.path}`, { method: spec.method, headers, agent: agentOptions }, (res) => {
      const chunks = [];
      let text = '';
      let messages = 0;
      res.on('data', (c) => {
        chunks.push(c);
        if (!spec.sse) return;
        text += c.toString('utf8');
        let end;
        while ((end = text.indexOf('\n\n')) !== -1) {
          text = text.slice(end + 2);
          // Ack message n: the server sends n+1 only then (a buffering agent would hang here).
          const stream = new URL(spec.path, base).searchParams.get('stream');
          const ack = client.request(`${base}/sse/ack?stream=${stream}&i=${messages++}`, { method: 'POST', agent: agentOptions, headers: { 'x-test-id': `${id}-ack${messages}` } }, (r) => r.resume());
          ack.on('error', reject);
          ack.end();
        }
      });
      res.on('end', () => resolve({ id, status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), messages }));
      res.on('error', reject);
    });
    req.on('error', (err) => (spec.abort ? resolve({ id, aborted: true }) : reject(err)));
    if (spec.abort) {
      child.waitFor(new RegExp(`hanging ${id}`)).then(() => req.destroy(), reject);
    }
    req.end(spec.body);
  });
}

const sseStream = () => `s${process.pid}-${++ids}`;

/**
 * Defines the tests of one framework app. `fw`: { script (under test/fixtures/frameworks/),
 * env, preload ('import' | 'require'), https, kinds: { req, res } the hooks must get, session:
 * whether the framework has a session id for /user }.
 */
export function frameworkSuite(fw) {
  const script = join(APPS, fw.script);
  let collector;
  let agent;
  let bare;
  const ports = {};
  const scheme = fw.https ? 'https' : 'http';
  const agentOptions = fw.https ? new https.Agent({ keepAlive: true, ca: CA }) : new http.Agent({ keepAlive: true });

  before(async () => {
    collector = await startTestCollector();
    const env = {
      ...(fw.env ?? {}),
      MOESIF_APPLICATION_ID: 'incoming-test',
      MOESIF_BASE_URI: collector.url,
      MOESIF_BATCH_SIZE: '1',
      MOESIF_BATCH_MAX_TIME: '50',
      MOESIF_CONFIG: join(APPS, 'moesif.config.mjs'),
    };
    agent = startChild(script, { env, preload: fw.preload ?? 'import' });
    bare = startChild(script, { env: fw.env ?? {}, preload: 'none' });
    [ports.agent, ports.bare] = await Promise.all([agent.port(), bare.port()]);
  });
  after(async () => {
    agentOptions.destroy();
    await Promise.all([agent?.kill(), bare?.kill(), collector?.close()]);
  });

  for (const c of cases(fw)) {
    test(c.name, async () => {
      let spec = c.send;
      if (spec.sse) spec = { ...spec, path: `${spec.path}?stream=${sseStream()}` };
      const before = Date.now();
      if (c.compare !== false) {
        const without = await send(`${scheme}://127.0.0.1:${ports.bare}`, spec, bare, agentOptions);
        spec = spec.sse ? { ...c.send, path: `${c.send.path}?stream=${sseStream()}` } : spec;
        var got = await send(`${scheme}://127.0.0.1:${ports.agent}`, spec, agent, agentOptions);
        const strip = (raw) => raw.filter((_, i) => i % 2 === 0).map((name, i) => [name, raw[i * 2 + 1]]).filter(([name]) => !/^(date|x-moesif-transaction-id)$/i.test(name));
        assert.equal(got.status, without.status, 'status as without the agent');
        assert.deepEqual(strip(got.rawHeaders), strip(without.rawHeaders), 'headers as without the agent (but Date and the transaction id)');
        assert.ok(got.body.equals(without.body), 'body bytes as without the agent');
      } else {
        got = await send(`${scheme}://127.0.0.1:${ports.agent}`, spec, agent, agentOptions);
      }
      await collector.waitFor((col) => col.events.some((e) => e.request.headers['x-test-id'] === got.id), 10_000, `the event of ${c.name}`);
      const matching = collector.events.filter((e) => e.request.headers['x-test-id'] === got.id);
      assert.equal(matching.length, 1, 'exactly one event');
      const [event] = matching;

      // What every event holds.
      const base = `${scheme}://127.0.0.1:${ports.agent}`;
      assert.equal(event.direction, 'Incoming');
      assert.equal(event.request.verb, spec.method);
      assert.equal(event.request.uri, `${base}${spec.path}`);
      assert.equal(event.request.ip_address, '127.0.0.1');
      const t0 = Date.parse(event.request.time);
      const t1 = Date.parse(event.response.time);
      assert.match(event.request.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(t0 >= before - 5 && t0 <= t1 && t1 <= Date.now(), `times in order: ${event.request.time} ${event.response.time}`);
      const txn = event.request.headers['x-moesif-transaction-id'];
      assert.match(txn, /^[0-9a-f-]{36}$/);
      const sentHeaders = { host: `127.0.0.1:${ports.agent}`, connection: 'keep-alive', 'x-test-id': got.id, 'x-moesif-transaction-id': txn };
      for (const [k, v] of Object.entries(spec.headers ?? {})) sentHeaders[k.toLowerCase()] = k === 'authorization' ? 'Bearer <redacted>' : v;
      if (spec.body) sentHeaders['content-length'] = String(spec.body.length);
      assert.deepEqual(event.request.headers, sentHeaders, 'request headers as sent');
      const reqBody = expectedBody(spec.body, sentHeaders, 'request');
      assert.deepEqual(event.request.body, reqBody.body, 'request body');
      assert.equal(event.request.transfer_encoding, reqBody.transfer_encoding);
      assert.deepEqual(event.metadata, fw.kinds, 'hooks get the framework objects');
      if (!got.aborted) {
        assert.equal(event.response.status, got.status);
        assert.deepEqual(event.response.headers, normalize(got.rawHeaders), 'response headers as received');
        assert.equal(got.headers['x-moesif-transaction-id'], txn, 'the response carries the transaction id');
        const resBody = expectedBody(got.body, got.headers, 'response');
        assert.deepEqual(event.response.body, resBody.body, 'response body');
        assert.equal(event.response.transfer_encoding, resBody.transfer_encoding);
      }
      if (!spec.headers?.['x-company']) assert.equal(event.company_id, undefined);
      await c.check(event, { got, sent: spec });
    });
  }
}
