// HTTP/2 servers (node:http2) under the real preload: the compatibility API, the stream API and
// a TLS server, on Node 22+ (which publishes the http2.server.stream.* channels). On Node 20 the
// app runs untouched and nothing is captured, as the README says.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';

const captured = Number(process.versions.node.split('.')[0]) >= 22;
const collector = await startTestCollector();
const app = startChild(join(FIXTURES, 'http2', 'app.mjs'), {
  env: { MOESIF_APPLICATION_ID: 'h2', MOESIF_BASE_URI: collector.url, MOESIF_BATCH_SIZE: '1', MOESIF_CONFIG: join(FIXTURES, 'http2', 'moesif.config.mjs') },
});
after(() => Promise.all([app.kill(), collector.close()]));
const [compatPort, streamPort, securePort, fastifyPort] = (await app.waitFor(/listening (\d+) (\d+) (\d+) (\d+)/)).slice(1).map(Number);

/** One request on a fresh session: status, headers and body as the client got them. */
async function request(port, headers, body, { secure = false } = {}) {
  const session = http2.connect(`${secure ? 'https' : 'http'}://127.0.0.1:${port}`, secure ? { rejectUnauthorized: false } : {});
  session.on('error', () => {}); // a reset while closing is not what these tests look at
  try {
    const stream = session.request(headers);
    stream.end(body);
    const [response] = await Promise.all([new Promise((ok) => stream.once('response', ok))]);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { status: response[':status'], headers: response, body: Buffer.concat(chunks) };
  } finally {
    session.close();
  }
}

async function eventOf(id) {
  await collector.waitFor((c) => c.events.some((e) => e.request.headers['x-test-id'] === id), 10_000, `the event of ${id}`);
  return collector.events.find((e) => e.request.headers['x-test-id'] === id);
}

test('compatibility API: GET with a query, JSON answer, hooks with the API\'s own req/res', async (t) => {
  const got = await request(compatPort, { ':path': '/json?q=hello', 'x-test-id': 'h2-json', 'x-user': 'ada' });
  assert.equal(got.status, 200);
  assert.deepEqual(JSON.parse(got.body), { q: 'hello', user: 'ada' });
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-json');
  assert.equal(event.request.verb, 'GET');
  assert.equal(event.request.uri, `http://127.0.0.1:${compatPort}/json?q=hello`);
  assert.equal(event.request.ip_address, '127.0.0.1');
  assert.ok(!Object.keys(event.request.headers).some((name) => name.startsWith(':')), 'no pseudo-headers among the headers');
  assert.equal(event.response.status, 200);
  assert.equal(event.response.headers['content-type'], 'application/json');
  assert.equal(event.response.headers['x-app'], 'compat');
  assert.deepEqual(event.response.body, { q: 'hello', user: 'ada' });
  assert.equal(event.response.transfer_encoding, 'json');
  assert.equal(event.user_id, 'ada');
  assert.deepEqual(event.metadata, { reqKind: 'Http2ServerRequest', resKind: 'Http2ServerResponse', hasStream: true });
  // The same transaction id in the client's answer and on both sides of the event.
  const id = got.headers['x-moesif-transaction-id'];
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(event.response.headers['x-moesif-transaction-id'], id);
  assert.equal(event.request.headers['x-moesif-transaction-id'], id);
  assert.ok(Date.parse(event.response.time) >= Date.parse(event.request.time));
});

test('compatibility API: a POSTed JSON body read by the app, echoed', async (t) => {
  const body = JSON.stringify({ items: [1, 2, 3], name: 'ünïcode' });
  const got = await request(compatPort, { ':path': '/echo', ':method': 'POST', 'content-type': 'application/json', 'x-test-id': 'h2-echo' }, body);
  assert.equal(got.status, 200);
  assert.equal(got.body.toString(), body, 'the app got and echoed every byte');
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-echo');
  assert.equal(event.request.verb, 'POST');
  assert.deepEqual(event.request.body, JSON.parse(body));
  assert.equal(event.request.transfer_encoding, 'json');
  assert.deepEqual(event.response.body, JSON.parse(body));
});

test('stream API: binary body in, respond() with 201 and a binary body out', async (t) => {
  const sent = Buffer.from([9, 8, 7, 0, 250]);
  const got = await request(streamPort, { ':path': '/upload', ':method': 'PUT', 'content-type': 'application/octet-stream', 'x-test-id': 'h2-stream' }, sent);
  assert.equal(got.status, 201);
  assert.equal(got.headers['x-got'], '5');
  assert.deepEqual([...got.body], [0, 1, 2, 255, 9, 8, 7, 0, 250]);
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-stream');
  assert.equal(event.request.verb, 'PUT');
  assert.equal(event.request.uri, `http://127.0.0.1:${streamPort}/upload`);
  assert.equal(event.request.body, sent.toString('base64'));
  assert.equal(event.request.transfer_encoding, 'base64');
  assert.equal(event.response.status, 201);
  assert.equal(event.response.headers['x-got'], '5');
  assert.equal(event.response.body, got.body.toString('base64'));
  assert.equal(event.response.headers['x-moesif-transaction-id'], got.headers['x-moesif-transaction-id']);
  // Hooks of the stream API get a view with the stream.
  assert.deepEqual(event.metadata, { reqKind: 'Object', resKind: 'Object', hasStream: true });
});

test('TLS server: https scheme, 404 answer', async (t) => {
  const got = await request(securePort, { ':path': '/nothing', 'x-test-id': 'h2-tls' }, undefined, { secure: true });
  assert.equal(got.status, 404);
  assert.equal(got.body.toString(), 'no such thing');
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-tls');
  assert.equal(event.request.uri, `https://127.0.0.1:${securePort}/nothing`);
  assert.equal(event.response.status, 404);
  assert.equal(event.response.body, Buffer.from('no such thing').toString('base64'));
});

test('a client that cancels mid-response: recorded as 499 with what was sent', async (t) => {
  const session = http2.connect(`http://127.0.0.1:${compatPort}`);
  session.on('error', () => {}); // the cancelled stream's session may see a reset as it closes
  const stream = session.request({ ':path': '/slow', 'x-test-id': 'h2-cancel' });
  stream.on('error', () => {});
  stream.end();
  const first = await new Promise((ok) => stream.once('data', ok));
  assert.equal(first.toString(), 'first ');
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await new Promise((ok) => stream.once('close', ok));
  session.close();
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-cancel');
  assert.equal(event.response.status, 499);
  assert.equal(event.response.body, Buffer.from('first ').toString('base64'));
  // Well before the app's own end (5 s): recorded when the stream closed.
  assert.ok(Date.parse(event.response.time) - Date.parse(event.request.time) < 4_000);
});

test("Fastify with http2: true: hooks get Fastify's request and reply, and its user", async (t) => {
  const got = await request(fastifyPort, { ':path': '/me', 'x-test-id': 'h2-fastify', 'x-user': 'grace' });
  assert.equal(got.status, 200);
  assert.deepEqual(JSON.parse(got.body), { route: 'me', http: '2.0' });
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const event = await eventOf('h2-fastify');
  assert.equal(event.request.uri, `http://127.0.0.1:${fastifyPort}/me`);
  assert.equal(event.user_id, 'grace', "from Fastify's request.user");
  assert.deepEqual(event.metadata, { reqKind: 'Request', resKind: 'Reply', hasStream: true });
  assert.deepEqual(event.response.body, { route: 'me', http: '2.0' });
});

test('stream API: a file sent with respondWithFile, and an app that sets its own transaction id', async (t) => {
  const file = await request(streamPort, { ':path': '/file', 'x-test-id': 'h2-file' });
  assert.equal(file.status, 200);
  assert.match(file.body.toString(), /PRIVATE KEY/);
  const own = await request(streamPort, { ':path': '/own-id', 'x-test-id': 'h2-own-id' });
  assert.equal(own.body.toString(), 'own id');
  assert.equal(own.headers['x-moesif-transaction-id'], 'app-chosen-id', 'the app\'s id, once');
  if (!captured) return t.skip('Node 20 publishes no HTTP/2 channels');
  const fileEvent = await eventOf('h2-file');
  assert.equal(fileEvent.response.status, 200);
  assert.equal(fileEvent.response.headers['content-type'], 'text/plain');
  assert.equal(fileEvent.response.body, undefined, 'file bytes do not pass through write()');
  assert.equal(fileEvent.response.headers['x-moesif-transaction-id'], file.headers['x-moesif-transaction-id']);
  const ownEvent = await eventOf('h2-own-id');
  assert.equal(ownEvent.response.headers['x-moesif-transaction-id'], 'app-chosen-id');
});
