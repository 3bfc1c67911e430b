// The agent's own HTTP/1.1 client against collectors (and proxies in front of them) that answer
// in every way HTTP/1.1 allows: chunked, Connection: close, interim 100 answers, HTTP/1.0 read to
// the end, keep-alive sockets the server drops while idle; and ones that do not speak HTTP at all.
// Each time: every event arrives once, or is kept for later, and the app is unaffected.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { once } from 'node:events';
import { startApp, request, capturedAtLeast } from '../support/app.mjs';
import { enable, flush, stats } from '../../dist/index.mjs';

const app = await startApp((req, res) => res.end('ok'));
after(() => app.close());

/**
 * A collector over raw TCP: reads each request (head, Content-Length body), keeps the decoded
 * events of batches, and answers each batch with the next of `answers` (raw bytes; '<close>' at
 * the end closes the socket after it; 'GARBAGE' is not HTTP), or a plain 201; config and rules
 * fetches get {}.
 */
async function rawCollector(answers = []) {
  const state = { events: [], requests: 0, connections: 0, sockets: new Set(), batchSockets: new Set() };
  const server = net.createServer((socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (data) => {
      buf = Buffer.concat([buf, data]);
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const head = buf.subarray(0, headEnd).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < headEnd + 4 + length) return;
        const body = buf.subarray(headEnd + 4, headEnd + 4 + length);
        buf = buf.subarray(headEnd + 4 + length);
        state.requests++;
        const batch = head.startsWith('POST /v1/events/batch');
        if (!batch) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'); // config, rules
          continue;
        }
        state.batchSockets.add(socket);
        const answer = answers.shift() ?? 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n';
        if (!/^HTTP\/1\.[01] [45]/.test(answer) && answer !== 'GARBAGE') {
          state.events.push(...JSON.parse(gunzipSync(body).toString('utf8')));
        }
        if (answer === 'GARBAGE') {
          socket.end('this is not http at all\r\n\r\n');
          return;
        }
        if (answer.endsWith('<close>')) socket.end(answer.slice(0, -7));
        else socket.write(answer);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    state,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of state.sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

async function deliver(collector, n, options = {}) {
  const tag = Math.random().toString(36).slice(2);
  enable({ applicationId: 'wire', baseUri: collector.url, batchSize: 1, batchMaxTime: 20, ...options });
  const since = stats().captured;
  for (let i = 0; i < n; i++) await request(`${app.url}/w?tag=${tag}&i=x${i}`);
  await capturedAtLeast(stats, since, n);
  await flush();
  const deadline = performance.now() + 10_000;
  const mine = () => collector.state.events.filter((e) => e.request.uri.includes(`tag=${tag}`));
  while (mine().length < n && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    await flush();
  }
  return mine();
}

function once_each(events, n) {
  const seen = new Set(events.map((e) => new URL(e.request.uri).searchParams.get('i')));
  assert.equal(events.length, n, `${events.length} events for ${n} requests`);
  assert.equal(seen.size, n, 'none twice');
}

test('chunked answers, with and without trailers', async () => {
  const c = await rawCollector([
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n',
  ]);
  try {
    for (let i = 0; i < 3; i++) once_each(await deliver(c, 1), 1); // one batch at a time
    assert.equal(c.state.batchSockets.size, 1, 'one keep-alive socket carried every batch');
  } finally {
    await c.close();
  }
});

test('Connection: close on every answer: a fresh socket per batch', async () => {
  const c = await rawCollector(Array.from({ length: 3 }, () => 'HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n<close>'));
  try {
    once_each(await deliver(c, 3), 3);
    assert.equal(c.state.batchSockets.size, 3, 'a socket per batch');
  } finally {
    await c.close();
  }
});

test('an interim 100 Continue before the answer, and an HTTP/1.0 answer read to the end', async () => {
  const c = await rawCollector(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.0 200 OK\r\n\r\nbody until close<close>']);
  try {
    once_each(await deliver(c, 3), 3);
  } finally {
    await c.close();
  }
});

test('a keep-alive socket the collector dropped while idle: the next batch goes on a fresh one at once', async () => {
  const c = await rawCollector();
  try {
    once_each(await deliver(c, 1), 1);
    for (const s of c.state.sockets) s.destroy(); // the collector (or a proxy) times the idle socket out
    const retriesBefore = stats().retries;
    once_each(await deliver(c, 2), 2);
    assert.equal(stats().retries, retriesBefore, 'not counted as a failed try');
  } finally {
    await c.close();
  }
});

test('an answer that is not HTTP: a clear failure, the events kept and sent once a real answer comes', async () => {
  const c = await rawCollector(['GARBAGE', 'GARBAGE']);
  try {
    const t0 = performance.now();
    const events = await deliver(c, 2);
    once_each(events, 2);
    assert.ok(performance.now() - t0 < 9_000);
    assert.ok(stats().retries > 0);
  } finally {
    await c.close();
  }
});

test('the agent sends its headers: application id, user agent, gzip JSON, and Basic auth from credentials in the base URI', async () => {
  let head = '';
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (d) => {
      const text = d.toString('latin1');
      if (text.startsWith('POST /prefix/v1/events/batch')) head = text.split('\r\n\r\n')[0];
      // One answer per request, the socket kept open (each request arrives in one read here: small).
      if (/^(GET|POST) /.test(text)) socket.write('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    enable({ applicationId: 'wire-headers', baseUri: `http://us%40er:p%3Ass@127.0.0.1:${server.address().port}/prefix`, batchSize: 1, batchMaxTime: 20 });
    const since = stats().captured;
    await request(`${app.url}/h`);
    await capturedAtLeast(stats, since);
    await flush();
    const deadline = performance.now() + 5_000;
    while (!head && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(head, /^POST \/prefix\/v1\/events\/batch HTTP\/1\.1\r\n/);
    assert.match(head, /\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(head, /\r\nx-moesif-application-id: wire-headers\r\n/i);
    assert.match(head, /\r\nuser-agent: moesif-node\/[\d.]+/i);
    assert.match(head, /\r\ncontent-type: application\/json\r\n/i);
    assert.match(head, /\r\ncontent-encoding: gzip\r\n/i);
    assert.match(head, new RegExp(`\\r\\nauthorization: Basic ${Buffer.from('us@er:p:ss').toString('base64')}\\r\\n`, 'i'));
  } finally {
    server.close();
    enable({ applicationId: 'wire', baseUri: 'http://127.0.0.1:9' }); // let go of the server's sockets
  }
});
