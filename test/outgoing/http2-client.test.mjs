// node:http2 clients under the real preload with outgoing capture on (Node 22+ publishes the
// http2.client.stream.* channels; on Node 20 the calls work and nothing is captured): cleartext
// and TLS, bodies both ways, gzip decoded, a stream reset mid-response, a refused connection, and
// undici's own HTTP/2 counted once. The app gets the same answers with the agent as without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCollector } from '../support/collector.mjs';
import { startChild, FIXTURES } from '../support/child.mjs';

const captured = Number(process.versions.node.split('.')[0]) >= 22;
const collector = await startTestCollector();
const PAYLOAD = { items: [1, 2, 3], note: 'gzip over h2' };

function handler(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return res.end(gzipSync(JSON.stringify(PAYLOAD)));
    }
    if (req.url === '/reset') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ');
      setTimeout(() => req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-server': 'h2' });
    res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() }));
  });
}
const certs = join(FIXTURES, 'certs');
const h2c = http2.createServer(handler);
const tls = http2.createSecureServer({ key: readFileSync(join(certs, 'key.pem')), cert: readFileSync(join(certs, 'cert.pem')), allowHTTP1: true }, handler);
const listen = (server) => new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server.address().port)));
const env = { H2C_PORT: String(await listen(h2c)), H2_TLS_PORT: String(await listen(tls)) };
after(() => Promise.all([collector.close(), new Promise((ok) => h2c.close(ok)), new Promise((ok) => tls.close(ok))]));

async function run(preload, extra) {
  const app = startChild(join(FIXTURES, 'http2', 'client-app.mjs'), { preload, env: { ...env, ...extra } });
  const [line] = (await app.waitFor(/^\{.*\}$/m)) ?? [];
  await app.kill('SIGTERM').catch(() => {});
  return JSON.parse(line);
}
// Without the agent first; then with it (it exits on its own once delivered, or is stopped).
const without = await run('none', {});
const withAgent = await run('import', { MOESIF_APPLICATION_ID: 'h2-out', MOESIF_BASE_URI: collector.url, MOESIF_CAPTURE_OUTGOING_REQUESTS: 'true', MOESIF_BATCH_SIZE: '1' });

test('the app gets the same answers with the agent as without it', () => {
  assert.deepEqual(withAgent, without);
  assert.equal(without.post_json.status, 200);
  assert.equal(without.refused.error, 'ERR_HTTP2_STREAM_CANCEL');
});

const eventOf = async (name) => {
  await collector.waitFor((c) => c.events.some((e) => e.direction === 'Outgoing' && e.request.headers['x-case'] === name), 10_000, `the event of ${name}`);
  return collector.events.filter((e) => e.direction === 'Outgoing' && e.request.headers['x-case'] === name);
};

test('a POST with a JSON body over cleartext HTTP/2: one event, field by field', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  const [event, twice] = await eventOf('post_json');
  assert.equal(twice, undefined);
  assert.equal(event.request.verb, 'POST');
  assert.equal(event.request.uri, `http://127.0.0.1:${env.H2C_PORT}/json?via=h2`);
  assert.ok(!Object.keys(event.request.headers).some((name) => name.startsWith(':')));
  assert.deepEqual(event.request.body, { hello: 'h2' });
  assert.equal(event.request.transfer_encoding, 'json');
  assert.equal(event.response.status, 200);
  assert.equal(event.response.headers['x-server'], 'h2');
  assert.deepEqual(event.response.body, { method: 'POST', url: '/json?via=h2', body: '{"hello":"h2"}' });
  assert.equal(event.metadata?.error, undefined);
});

test('a body written in pieces, the last through end(): each byte once', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  const [event] = await eventOf('pieces');
  assert.deepEqual(event.request.body, { a: 1, b: 2 });
  assert.deepEqual(event.response.body, { method: 'POST', url: '/json', body: '{"a":1,"b":2}' });
});

test('TLS with a gzip answer: the body decoded in the event, the app gets the compressed bytes', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  const [event] = await eventOf('tls_gzip');
  assert.equal(event.request.uri, `https://127.0.0.1:${env.H2_TLS_PORT}/gzip`);
  assert.equal(event.response.headers['content-encoding'], 'gzip');
  assert.deepEqual(event.response.body, PAYLOAD);
  assert.deepEqual(Buffer.from(withAgent.tls_gzip.got, 'hex'), gzipSync(JSON.stringify(PAYLOAD)));
});

test('a stream the server resets mid-response: the status and bytes received, and the error', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  const [event] = await eventOf('reset');
  assert.equal(event.response.status, 200);
  assert.equal(event.response.body, Buffer.from('partial ').toString('base64'));
  assert.equal(typeof event.metadata.error.code, 'string');
  assert.equal(withAgent.reset.error, without.reset.error);
});

test('a refused connection: status 0 and the error in metadata', { skip: !captured && 'Node 20 publishes no HTTP/2 channels' }, async () => {
  const [event] = await eventOf('refused');
  assert.equal(event.response.status, 0);
  assert.equal(event.request.uri, 'http://127.0.0.1:1/');
  assert.equal(event.metadata.error.code, 'ERR_HTTP2_STREAM_CANCEL');
});

test("undici's own HTTP/2 (allowH2): one event, not a second from http2", async () => {
  const [event, twice] = await eventOf('undici_h2');
  assert.equal(twice, undefined, 'captured once');
  assert.equal(event.request.verb, 'PUT');
  assert.equal(event.request.body, Buffer.from('from undici').toString('base64'));
  assert.equal(event.request.headers['content-length'], '11', 'once, as on the wire');
  assert.ok(!Object.keys(event.request.headers).some((name) => name.startsWith(':')));
  assert.equal(event.response.status, 200);
  assert.deepEqual(event.response.body, { method: 'PUT', url: '/json?via=undici', body: 'from undici' });
});
