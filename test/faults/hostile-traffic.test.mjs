// Hostile traffic at the app (issue 7): the same app (test/fixtures/faults/hostile-app.mjs, on bare
// node:http and on Express) runs twice, without the agent and under the real preload, and gets the
// same raw bytes on a socket: random and invalid-UTF-8 bodies, JSON that does not parse or nests
// 100k deep, a 500 MB upload, 10k headers, control characters, bad chunked framing, slowloris,
// pipelining, HTTP/1.0, websocket upgrades, CONNECT, a client that resets mid-upload. What the
// app answers must be the same bytes (but Date and the transaction id), the agent must not throw
// or grow, and each request that reached the app must arrive at the collector once, sanely.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';

const APP = join(FIXTURES, 'faults', 'hostile-app.mjs');
const APP_ID = `hostile-${process.pid}`;
const REQUEST_LIMIT = 1_000_000; // room for the 100k-deep JSON (200 KB) in the event
const UPLOAD_BYTES = 500 * 1024 * 1024;

const collector = await startTestCollector();
after(() => collector.close());

let tags = 0;
/** A unique tag for a request's query; letters in it, so it is never taken for a card number. */
const tag = (name) => `${name}-${process.pid}-${++tags}x`;

/** Events of this file's agent whose URL carries the tag. */
const eventsOf = (t) => collector.events.filter((e) => e.request.uri.includes(`t=${t}`));

async function eventOf(t) {
  await collector.waitFor(() => eventsOf(t).length > 0, 10_000, `the event of ${t}`);
  const found = eventsOf(t);
  assert.equal(found.length, 1, `one event for ${t}`);
  return found[0];
}

/**
 * Writes `parts` (strings are latin1: the bytes as written) on a fresh socket, `gapMs` apart, and
 * reads everything until the server closes. `end`: half-close after writing; `reset`: RST after
 * writing. Resolves { bytes, error, timedOut }.
 */
function raw(port, parts, { gapMs = 0, end = false, reset = false, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    let error;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => (error = err.code ?? err.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), error, timedOut });
    });
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs));
        if (socket.destroyed) return;
        const buf = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
        if (!socket.write(buf)) await new Promise((r) => socket.once('drain', r));
      }
      if (reset) socket.resetAndDestroy();
      else if (end) socket.end();
    });
  });
}

/** What the client got, as text, without the lines that differ run to run. */
function normalize(bytes) {
  return bytes
    .toString('latin1')
    .replace(/^date: [^\r\n]*\r\n/gim, '')
    .replace(/^x-moesif-transaction-id: [^\r\n]*\r\n/gim, '');
}

function post(path, body, headers = {}) {
  const head = Object.entries({ host: 'app.test', 'content-length': body.length, connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return [`POST ${path} HTTP/1.1\r\n${head}\r\n`, body];
}

const get = (path, headers = {}) =>
  `GET ${path} HTTP/1.1\r\n${Object.entries({ host: 'app.test', connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

/** The status line and the body of one answer (the first, if several). */
function answer(bytes) {
  const text = bytes.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(text.slice(9, 12)), head: text.slice(0, split), body: Buffer.from(text.slice(split + 4), 'latin1') };
}

const digest = (buf) => ({ length: buf.length, sha256: createHash('sha256').update(buf).digest('base64') });

/** Not a line on stderr: no uncaught error, no warning, no message of the agent's. */
function assertQuietStderr(child) {
  assert.deepEqual(child.stderr.split('\n').filter(Boolean), [], `unexpected stderr:\n${child.stderr}`);
}

function hostileSuite(framework) {
  describe(`${framework} app`, () => {
    let agent;
    let bare;
    const port = {};
    const env = { FRAMEWORK: framework };
    before(async () => {
      agent = startChild(APP, {
        nodeArgs: ['--expose-gc'],
        env: { ...env, MOESIF_APPLICATION_ID: APP_ID, MOESIF_BASE_URI: collector.url, MOESIF_BATCH_MAX_TIME: '50', MOESIF_REQUEST_MAX_BODY_SIZE: String(REQUEST_LIMIT) },
      });
      bare = startChild(APP, { nodeArgs: ['--expose-gc'], env, preload: 'none' });
      [port.agent, port.bare] = await Promise.all([agent.port(), bare.port()]);
    });
    after(() => Promise.all([agent?.kill(), bare?.kill()]));

    /** Sends the same bytes to both apps; asserts the same answer; returns the agent app's. */
    async function same(parts, options) {
      const [without, withAgent] = await Promise.all([raw(port.bare, parts, options), raw(port.agent, parts, options)]);
      assert.equal(normalize(withAgent.bytes), normalize(without.bytes), 'the same bytes as without the agent');
      // A server that answers and closes while the client still writes: EPIPE or ECONNRESET, by timing.
      if (!options?.racyClose) assert.equal(withAgent.error, without.error, 'the same socket error');
      assert.equal(withAgent.timedOut, without.timedOut);
      return withAgent;
    }

    /** After hostile input: a plain request is still answered, and captured. */
    async function stillServes() {
      const t = tag('after');
      const got = await same([get(`/hello?t=${t}`)]);
      assert.equal(answer(got.bytes).body.toString(), 'hello');
      assert.match(got.bytes.toString('latin1'), /^X-Moesif-Transaction-Id: [0-9a-f-]{36}\r$/m, 'the agent is still at work');
      const event = await eventOf(t);
      assert.equal(event.response.status, 200);
      return t;
    }

    /** Asserts no event names the tag, once a request sent after it has arrived (same order). */
    async function noEventFor(t) {
      await stillServes();
      assert.deepEqual(eventsOf(t), [], `no event for ${t}`);
    }

    test('random bytes as a body: echoed alike; the event has them as base64', async () => {
      const t = tag('random');
      const body = randomBytes(64 * 1024);
      const got = await same(post(`/echo?t=${t}`, body, { 'content-type': 'application/octet-stream' }));
      assert.deepEqual(JSON.parse(answer(got.bytes).body), digest(body));
      const event = await eventOf(t);
      assert.equal(event.request.body, body.toString('base64'));
      assert.equal(event.request.transfer_encoding, 'base64');
      assert.deepEqual(event.response.body, digest(body));
      assert.equal(event.response.transfer_encoding, 'json');
    });

    test('random bytes labelled JSON: the app refuses alike; the event keeps them as base64', async () => {
      const t = tag('randjson');
      const body = Buffer.concat([Buffer.from('{"a":'), randomBytes(4096)]);
      const got = await same(post(`/json?t=${t}`, body, { 'content-type': 'application/json' }));
      assert.equal(answer(got.bytes).status, 400);
      const event = await eventOf(t);
      assert.equal(event.request.body, body.toString('base64'));
      assert.equal(event.request.transfer_encoding, 'base64');
      assert.equal(event.response.status, 400);
    });

    test('JSON that does not parse: base64 with transfer_encoding base64 (SPEC §4)', async () => {
      const t = tag('badjson');
      const body = Buffer.from('{"items": [1, 2, {"name": "unterminated');
      const got = await same(post(`/json?t=${t}`, body, { 'content-type': 'application/json; charset=utf-8' }));
      assert.equal(answer(got.bytes).status, 400);
      const event = await eventOf(t);
      assert.equal(event.request.body, body.toString('base64'));
      assert.equal(event.request.transfer_encoding, 'base64');
      assert.equal(event.request.headers['content-type'], 'application/json; charset=utf-8');
    });

    test('invalid UTF-8 inside JSON: the app reads it alike; the event keeps the bytes, not U+FFFD', async () => {
      const t = tag('utf8');
      const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      const got = await same(post(`/json?t=${t}`, body, { 'content-type': 'application/json' }));
      assert.equal(answer(got.bytes).status, 200, 'the app parses it, with replacement characters');
      const event = await eventOf(t);
      assert.equal(event.request.transfer_encoding, 'base64', 'not valid JSON text (RFC 8259 §8.1): kept as bytes');
      assert.equal(event.request.body, body.toString('base64'));
    });

    test('JSON nested 100k deep: the app parses it alike; the event arrives with the rest intact', async () => {
      const t = tag('deep');
      const body = Buffer.from('['.repeat(1e5) + ']'.repeat(1e5));
      const got = await same(post(`/json?t=${t}`, body, { 'content-type': 'application/json' }));
      assert.deepEqual(JSON.parse(answer(got.bytes).body), { parsed: 'array', depth: 1e5 });
      const event = await eventOf(t);
      assert.equal(event.response.status, 200);
      assert.deepEqual(event.response.body, { parsed: 'array', depth: 1e5 }, 'the response body survives the request body');
      assert.equal(event.request.headers['content-length'], String(body.length));
      if (event.request.body !== undefined) {
        // Where JSON.stringify is not recursive (Node 26) the body goes as it parsed.
        let depth = 0;
        for (let v = event.request.body; Array.isArray(v); v = v[0]) depth++;
        assert.equal(depth, 1e5);
        assert.equal(event.request.transfer_encoding, 'json');
      } else {
        assert.equal(event.request.transfer_encoding, undefined, 'no transfer_encoding without a body');
      }
    });

    test('10k headers: 431 alike under the default header size limit; no event', async () => {
      const t = tag('manyheaders');
      const headers = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`x-h-${i}`, `v${i}`]));
      const got = await same([get(`/headers?t=${t}`, headers)], { racyClose: true });
      assert.equal(answer(got.bytes).status, 431);
      await noEventFor(t);
    });

    test('control characters in header values: refused alike; obs-text accepted alike and kept', async () => {
      for (const value of ['a\x01b', 'a\x00b', 'a\x7fb', 'a\rb', 'a\x1bb']) {
        const t = tag('ctl');
        const got = await same([get(`/headers?t=${t}`, { 'x-odd': value })]);
        assert.equal(answer(got.bytes).status, 400, JSON.stringify(value));
        await noEventFor(t);
      }
      const t = tag('obs');
      const value = 'caf\xe9 \xff\x80 tab\there';
      const got = await same([get(`/headers?t=${t}`, { 'x-odd': value })]);
      const seen = JSON.parse(answer(got.bytes).body).odd;
      const event = await eventOf(t);
      assert.equal(event.request.headers['x-odd'], seen, 'the event holds the value the app read');
    });

    test('chunked bodies with bad framing: the same 400 from Node; an event only for a request the app had', async () => {
      const head = (t) => `POST /echo?t=${t} HTTP/1.1\r\nhost: app.test\r\ntransfer-encoding: chunked\r\n`;
      // [name, bytes, options, the body the event holds; null: refused with the headers, no event]
      const cases = [
        ['bad chunk size', (t) => [`${head(t)}\r\nzz\r\nhello\r\n0\r\n\r\n`], {}, undefined],
        ['no CRLF after chunk data', (t) => [`${head(t)}\r\n5\r\nhelloXX0\r\n\r\n`], {}, 'hello'],
        ['chunked and content-length both', (t) => [`${head(t)}content-length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n`], {}, null],
        ['two content-lengths', (t) => [`POST /echo?t=${t} HTTP/1.1\r\nhost: app.test\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!`], {}, null],
        ['chunked, cut off mid-chunk', (t) => [`${head(t)}\r\nffff\r\nabc`], { end: true }, 'abc'],
        ['chunked, chunk size overflows', (t) => [`${head(t)}\r\nffffffffffffffffff\r\nabc`], { end: true }, undefined],
      ];
      for (const [name, build, options, body] of cases) {
        const t = tag('chunk');
        const got = await same(build(t), { timeoutMs: 5_000, ...options });
        assert.equal(normalize(got.bytes), 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', `${name}: Node's own answer`);
        if (body === null) {
          await noEventFor(t);
          continue;
        }
        // The app had the request when the framing broke: Node answered 400 for it, and so does the event (not 499).
        const event = await eventOf(t);
        assert.equal(event.response.status, 400, name);
        assert.deepEqual(event.response.headers, { connection: 'close' }, name);
        assert.equal(event.request.headers['transfer-encoding'], 'chunked');
        assert.equal(event.request.body, body === undefined ? undefined : Buffer.from(body).toString('base64'), `${name}: what arrived before the break`);
      }
    });

    test('slowloris: clients holding headers open do not delay anyone else', async () => {
      const slow = [];
      const slowTags = [];
      const opened = [];
      for (let i = 0; i < 20; i++) {
        const t = tag('slowloris');
        slowTags.push(t);
        for (const p of [port.bare, port.agent]) {
          const socket = net.connect(p, '127.0.0.1');
          socket.on('error', () => {});
          opened.push(new Promise((r) => socket.once('connect', r)));
          socket.write(`GET /hello?t=${t} HTTP/1.1\r\nhost: app.test\r\n`);
          slow.push(socket);
        }
      }
      await Promise.all(opened);
      const drip = setInterval(() => {
        for (const s of slow) s.write(`x-drip-${Math.random().toString(36).slice(2, 6)}: a\r\n`);
      }, 50);
      try {
        for (let i = 0; i < 10; i++) {
          const t0 = performance.now();
          await stillServes();
          assert.ok(performance.now() - t0 < 5_000, 'answered and captured while 40 clients drip headers');
        }
      } finally {
        clearInterval(drip);
        for (const s of slow) s.destroy();
      }
      await stillServes();
      for (const t of slowTags) assert.deepEqual(eventsOf(t), [], 'a request that never finished its headers is no event');
    });

    test('pipelined requests in one write: answered in order alike, each captured once', async () => {
      const t = [tag('pipe'), tag('pipe'), tag('pipe'), tag('pipe')];
      const body = Buffer.from('{"pipelined":true}');
      const write = Buffer.concat([
        Buffer.from(`GET /hello?t=${t[0]} HTTP/1.1\r\nhost: app.test\r\n\r\n`),
        Buffer.from(`POST /echo?t=${t[1]} HTTP/1.1\r\nhost: app.test\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`),
        body,
        Buffer.from(`GET /headers?t=${t[2]} HTTP/1.1\r\nhost: app.test\r\nx-odd: third\r\n\r\n`),
        Buffer.from(`GET /hello?t=${t[3]} HTTP/1.1\r\nhost: app.test\r\nconnection: close\r\n\r\n`),
      ]);
      const got = await same([write]);
      const text = got.bytes.toString('latin1');
      assert.equal(text.match(/HTTP\/1\.1 200 OK\r\n/g).length, 4, 'four answers');
      const events = await Promise.all(t.map(eventOf));
      assert.deepEqual(events.map((e) => new URL(e.request.uri).pathname), ['/hello', '/echo', '/headers', '/hello']);
      assert.deepEqual(events[1].request.body, { pipelined: true });
      assert.deepEqual(events[1].response.body, digest(body));
      assert.deepEqual(events[2].response.body, { count: 2, odd: 'third' });
      const ids = events.map((e) => e.response.headers['x-moesif-transaction-id']);
      assert.equal(new Set(ids).size, 4, 'each answer its own transaction id');
      for (const [i, e] of events.entries()) assert.equal(e.request.headers['x-moesif-transaction-id'], ids[i]);
      assert.deepEqual(ids, [...text.matchAll(/^x-moesif-transaction-id: ([^\r\n]+)/gim)].map((m) => m[1]), 'in the order answered');
    });

    test('HTTP/1.0: the same close-delimited answers; events with sane fields', async () => {
      const t = tag('http10');
      const got = await same([`GET /hello?t=${t} HTTP/1.0\r\n\r\n`]);
      assert.match(got.bytes.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      const event = await eventOf(t);
      assert.equal(event.request.uri, `http://localhost/hello?t=${t}`, 'no Host header: localhost');
      assert.equal(event.response.status, 200);
      assert.equal(event.response.body, Buffer.from('hello').toString('base64'));
      const t2 = tag('http10post');
      const body = Buffer.from('ten bytes!');
      const got2 = await same([`POST /echo?t=${t2} HTTP/1.0\r\nhost: app.test\r\ncontent-length: ${body.length}\r\n\r\n`, body]);
      assert.deepEqual(JSON.parse(answer(got2.bytes).body), digest(body));
      const event2 = await eventOf(t2);
      assert.equal(event2.request.body, body.toString('base64'));
    });

    test('websocket upgrade: the same handshake and echo; no event, nothing broken', async () => {
      const t = tag('ws');
      const key = randomBytes(16).toString('base64');
      const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, ...Buffer.from('hello').map((b, i) => b ^ [1, 2, 3, 4][i % 4])]);
      const got = await same(
        [`GET /chat?t=${t} HTTP/1.1\r\nhost: app.test\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`, frame],
        { gapMs: 20, end: true },
      );
      const text = got.bytes.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.ok(got.bytes.subarray(got.bytes.length - frame.length).equals(frame), 'the frame echoed after the handshake');
      assert.doesNotMatch(text, /x-moesif-transaction-id/i, 'the agent adds nothing to a handshake it does not answer');
      await noEventFor(t);
    });

    test('CONNECT: the same tunnel answer and echo; no event, nothing broken', async () => {
      const t = tag('connect');
      const got = await same([`CONNECT tunnel-${t}.test:443 HTTP/1.1\r\nhost: tunnel-${t}.test:443\r\n\r\n`, 'bytes through the tunnel'], { gapMs: 20, end: true });
      const text = got.bytes.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 200 Connection Established\r\n/);
      assert.ok(text.endsWith('bytes through the tunnel'));
      await stillServes();
      assert.deepEqual(collector.events.filter((e) => e.request.uri.includes(`tunnel-${t}`)), []);
    });

    test('a client that resets mid-upload: both apps see the abort and go on; the event says 499', async () => {
      const t = tag('reset');
      const total = 8 * 1024 * 1024;
      const sent = [randomBytes(256 * 1024), randomBytes(256 * 1024)];
      const parts = [`POST /upload?t=${t} HTTP/1.1\r\nhost: app.test\r\ncontent-type: application/octet-stream\r\ncontent-length: ${total}\r\n\r\n`, ...sent];
      const abortedBare = bare.waitFor(/upload-aborted (\d+)/);
      const abortedAgent = agent.waitFor(/upload-aborted (\d+)/);
      const got = await same(parts, { gapMs: 20, reset: true });
      assert.equal(got.bytes.length, 0, 'no answer to a client that went away');
      const [, appRead] = await abortedAgent;
      await abortedBare;
      const event = await eventOf(t);
      assert.equal(event.response.status, 499);
      assert.equal(event.request.headers['content-length'], String(total));
      // What arrived before the reset (under the limit): the very bytes sent, at least what the app read.
      const kept = Buffer.from(event.request.body, 'base64');
      assert.equal(event.request.transfer_encoding, 'base64');
      assert.ok(kept.length >= Number(appRead) && kept.length <= 512 * 1024, `kept ${kept.length}, the app read ${appRead}`);
      assert.ok(kept.equals(Buffer.concat(sent).subarray(0, kept.length)), 'a prefix of the bytes sent');
      await stillServes();
    });

    if (framework === 'node') {
      test(`${UPLOAD_BYTES >> 20} MB uploads streamed to /dev/null: the same answer; the agent does not grow with them`, async () => {
        const mem = async (p) => JSON.parse(answer((await raw(p, [get('/mem')])).bytes).body);
        const sample = async () => ({ bare: await mem(port.bare), agent: await mem(port.agent) });
        const block = randomBytes(1024 * 1024);
        const blocks = Array.from({ length: UPLOAD_BYTES / block.length }, () => block);
        // Warm up first: the agent's serializer thread and gzip start with the first events, which
        // costs its rss once (~15 MB), whatever the traffic.
        const warm = tag('warm');
        await same(post(`/echo?t=${warm}`, block.subarray(0, 100_000), { 'content-type': 'application/octet-stream' }));
        await eventOf(warm);
        const samples = [await sample()];
        const seconds = [];
        // Twice: the first may warm up allocator pools (with or without the agent); the second
        // shows whether anything grows with the bytes that pass.
        for (let round = 0; round < 2; round++) {
          const t = tag('upload');
          const head = `POST /upload?t=${t} HTTP/1.1\r\nhost: app.test\r\ncontent-type: application/octet-stream\r\ncontent-length: ${UPLOAD_BYTES}\r\nconnection: close\r\n\r\n`;
          const t0 = performance.now();
          const got = await same([head, ...blocks], { timeoutMs: 50_000 });
          seconds.push((performance.now() - t0) / 1000);
          assert.deepEqual(JSON.parse(answer(got.bytes).body), { bytes: UPLOAD_BYTES });
          const event = await eventOf(t);
          assert.equal(event.response.status, 200);
          assert.deepEqual(event.request.body, { msg: `request.body.length exceeded requestMaxBodySize of ${REQUEST_LIMIT} bytes` });
          assert.deepEqual(event.response.body, { bytes: UPLOAD_BYTES });
          samples.push(await sample());
        }
        const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
        const grew = (who, field, from = 0, to = 2) => samples[to][who][field] - samples[from][who][field];
        const report =
          `${UPLOAD_BYTES >> 20} MB to both apps at once in ${seconds.map((x) => x.toFixed(1)).join(' s and ')} s; ` +
          `rss grew bare ${mb(grew('bare', 'rss', 0, 1))} then ${mb(grew('bare', 'rss', 1, 2))}, agent ${mb(grew('agent', 'rss', 0, 1))} then ${mb(grew('agent', 'rss', 1, 2))}; ` +
          `heap+array buffers over both: bare ${mb(grew('bare', 'heapUsed') + grew('bare', 'arrayBuffers'))}, agent ${mb(grew('agent', 'heapUsed') + grew('agent', 'arrayBuffers'))}`;
        console.log(`# ${report}`);
        assert.ok(grew('agent', 'heapUsed') + grew('agent', 'arrayBuffers') < 16e6, `nothing of the uploads is held: ${report}`);
        // rss keeps the peak of the buffers in flight, which moves by tens of MB from run to run,
        // agent or not, and lands in either upload (seen on Node 20-26: up to ~70 MB in one of
        // them, bare or not). Held upload bytes would show far above this bound over both.
        assert.ok(grew('agent', 'rss') < 128e6, `rss did not grow with the 1000 MB passed: ${report}`);
      });

      test('10k headers with --max-http-header-size raised: the same answer; the event holds what Node kept', async () => {
        const nodeArgs = ['--max-http-header-size=1048576'];
        const big = startChild(APP, { nodeArgs, env: { ...env, MOESIF_APPLICATION_ID: APP_ID, MOESIF_BASE_URI: collector.url, MOESIF_BATCH_MAX_TIME: '50' } });
        const plain = startChild(APP, { nodeArgs, env, preload: 'none' });
        try {
          const [pa, pb] = await Promise.all([big.port(), plain.port()]);
          const t = tag('bigheaders');
          const headers = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`x-h-${i}`, `v${i}`]));
          const parts = [get(`/headers?t=${t}`, headers)];
          const [without, withAgent] = await Promise.all([raw(pb, parts), raw(pa, parts)]);
          assert.equal(normalize(withAgent.bytes), normalize(without.bytes));
          const { status, body } = answer(withAgent.bytes);
          if (status === 431) {
            // Node 22+ refuses this many header fields whatever the size limit: alike, and no event.
            assert.equal(body.length, 0);
            const after = tag('after');
            await raw(pa, [get(`/hello?t=${after}`)]);
            await eventOf(after); // captured after the refused one: had that made an event, it would be here
            assert.deepEqual(eventsOf(t), []);
            return;
          }
          assert.equal(status, 200);
          const seen = JSON.parse(body);
          assert.ok(seen.count > 1000 && seen.count < 10_002, `Node keeps at most maxHeadersCount pairs; the app saw ${seen.count}`);
          const event = await eventOf(t);
          assert.equal(event.request.headers['x-h-0'], 'v0');
          assert.equal(event.request.headers[`x-h-${seen.count - 3}`], `v${seen.count - 3}`, 'the last header the app saw');
          assert.equal(event.request.headers[`x-h-${seen.count - 2}`], undefined, 'not more than the app saw');
          assert.equal(Object.keys(event.request.headers).length, seen.count + 1, "the app's headers and the transaction id");
          assertQuietStderr(big);
        } finally {
          await Promise.all([big.kill(), plain.kill()]);
        }
      });
    }

    test('after all of it: the app still runs and answers, and nothing was printed (no uncaught error, no warning)', async () => {
      await stillServes();
      assert.equal(agent.child.exitCode, null);
      assertQuietStderr(agent);
      assertQuietStderr(bare);
    });
  });
}

hostileSuite('node');
hostileSuite('express');
