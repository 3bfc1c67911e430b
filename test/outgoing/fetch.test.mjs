// The global fetch under the real preload: every way of reading a response (json, text,
// arrayBuffer, a reader, never) and of sending a body (string, JSON, bytes, stream, Blob, form,
// a Request object), compressed answers, redirects (one event per hop) and failures. Bodies are
// the wire bytes on every Node: undici's own chunk channels on 24+, its request class on 20/22.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startServers, JSON_PAYLOAD, TEXT_PAYLOAD, pattern, sha256 } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf, caseOf, bodyOf, OVER_LIMIT } from '../fixtures/outgoing/run.mjs';

const collector = await startTestCollector();
const servers = await startServers();
after(() => Promise.all([collector.close(), servers.close()]));

const [withAgent, without] = await Promise.all([
  runGroup('fetch', agentEnv(collector, servers)),
  runGroup('fetch', servers.env(), { preload: 'none' }),
]);

const echo = (method, body = '') => ({ method, body, length: Buffer.byteLength(body), sha: sha256(Buffer.from(body)) });
const moved = Buffer.from('moved');

const expected = {
  fetch_json: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  fetch_text: { verb: 'GET', path: '/text', status: 200, resBody: Buffer.from(TEXT_PAYLOAD) },
  fetch_array_buffer: { verb: 'GET', path: '/bytes', status: 200, resBody: pattern(5000) },
  fetch_reader_over_limit: { verb: 'GET', path: '/bytes', status: 200, resBody: OVER_LIMIT('response') },
  fetch_unread: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  fetch_post_string: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('hello string'), reqHeaders: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': '12' } },
  fetch_post_json: { verb: 'POST', path: '/json', status: 200, reqBody: { kind: 'json', list: [1, 2] }, resBody: echo('POST', '{"kind":"json","list":[1,2]}') },
  fetch_post_uint8: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from([1, 2, 3, 250, 251]) },
  fetch_post_stream: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('part one, part two, part three') },
  fetch_post_blob: { verb: 'POST', path: '/json', status: 200, reqBody: { blob: true } },
  fetch_post_params: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('q=search+words&page=2'), reqHeaders: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } },
  fetch_post_formdata: {
    verb: 'POST', path: '/json', status: 200,
    check: (e) => assert.match(bodyOf(e.request).toString(), /name="field"\r\n\r\nform value\r\n/),
  },
  fetch_post_request_object: { verb: 'POST', path: '/json', status: 200, reqBody: { from: 'Request' } },
  fetch_post_over_limit: { verb: 'POST', path: '/json', status: 200, reqBody: OVER_LIMIT('request'), resBody: OVER_LIMIT('response') },
  fetch_gzip: { verb: 'GET', path: '/gzip', status: 200, resBody: JSON_PAYLOAD, resHeaders: { 'content-encoding': 'gzip' } },
  fetch_br: { verb: 'GET', path: '/br', status: 200, resBody: JSON_PAYLOAD, resHeaders: { 'content-encoding': 'br' } },
  fetch_redirect_302: [
    { verb: 'POST', path: '/redirect', status: 302, reqBody: Buffer.from('dropped on 302'), resBody: moved, resHeaders: { location: '/json?case=fetch_redirect_302' } },
    { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  ],
  fetch_redirect_307: [
    { verb: 'POST', path: '/redirect', status: 307, reqBody: Buffer.from('kept on 307'), resBody: moved },
    { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('kept on 307'), resBody: echo('POST', 'kept on 307') },
  ],
  // The redirect's own body is never read by fetch: its event ends when the next hop starts.
  fetch_redirect_unread_body: [
    { verb: 'GET', path: '/redirect', status: 302 },
    { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  ],
  fetch_404: { verb: 'GET', path: '/status', status: 404, resBody: { status: 404 } },
  fetch_refused: { verb: 'GET', path: '/json', status: 0, error: 'ECONNREFUSED' },
  fetch_abort: { verb: 'GET', path: '/hang', status: 0, error: 'AbortError' },
  fetch_timeout: { verb: 'GET', path: '/hang', status: 0, error: 'TimeoutError' },
  fetch_cut: { verb: 'GET', path: '/cut', status: 200, error: 'UND_ERR_SOCKET', resBody: Buffer.from('x'.repeat(500)) },
};

const total = Object.values(expected).reduce((n, e) => n + (Array.isArray(e) ? e.length : 1), 0);
await collector.waitForEvents(total, 10_000);

test('the app reads the same bytes, statuses and errors with the agent as without it', () => {
  assert.deepEqual(Object.keys(withAgent.results).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) assert.deepEqual(withAgent.results[name], without.results[name], name);
});

test('one event per request on the wire, none twice (fetch is not also seen through http)', () => {
  const unknown = collector.events.filter((e) => !(caseOf(e.request.uri) in expected));
  assert.deepEqual(unknown.map((e) => e.request.uri), []);
  assert.equal(collector.events.length, total);
  assert.ok(collector.events.every((e) => e.direction === 'Outgoing'));
});

for (const [name, spec] of Object.entries(expected)) {
  test(`${name}: field by field`, () => {
    const specs = Array.isArray(spec) ? spec : [spec];
    const events = eventsOf(collector, name).sort((a, b) => a.request.time.localeCompare(b.request.time) || a.response.status - b.response.status);
    assert.equal(events.length, specs.length, `${name}: ${events.map((e) => e.request.uri)}`);
    specs.forEach((want, i) => {
      const e = events[i];
      const uri = new URL(e.request.uri);
      assert.equal(e.request.verb, want.verb);
      assert.equal(uri.pathname, want.path);
      assert.equal(e.response.status, want.status);
      assert.ok(e.request.time <= e.response.time);
      if (want.status !== 0) assert.equal(e.request.headers.host, uri.host, 'the header block as sent');
      assert.equal(e.request.headers['user-agent'], 'node');
      if ('reqBody' in want) assert.deepEqual(bodyOf(e.request), want.reqBody);
      else if (want.verb === 'GET') assert.equal(e.request.body, undefined);
      if ('resBody' in want) assert.deepEqual(bodyOf(e.response), want.resBody);
      for (const [h, v] of Object.entries(want.reqHeaders ?? {})) assert.equal(e.request.headers[h], v, h);
      for (const [h, v] of Object.entries(want.resHeaders ?? {})) assert.equal(e.response.headers[h], v, h);
      if (want.error) assert.equal(e.metadata?.error?.code, want.error);
      else assert.equal(e.metadata, undefined);
      want.check?.(e);
    });
  });
}
