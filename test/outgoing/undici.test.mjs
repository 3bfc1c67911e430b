// npm undici: request, stream, fetch, a Pool whose requests wait in its queue; undici 6 (which
// publishes no body chunks: its request class is observed instead) with and without
// moesifInterceptor() composed onto the dispatcher. The interceptor is imported from 'moesif' (the
// ESM build) while the preload loaded the CJS one: two copies of the package, one capture, no
// request twice, the app's reads unchanged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startServers, JSON_PAYLOAD, TEXT_PAYLOAD, pattern, sha256 } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf, caseOf, bodyOf } from '../fixtures/outgoing/run.mjs';

const collector = await startTestCollector();
const servers = await startServers();
after(() => Promise.all([collector.close(), servers.close()]));

const [withAgent, without] = await Promise.all([
  runGroup('undici', agentEnv(collector, servers)),
  runGroup('undici', servers.env(), { preload: 'none' }),
]);

const echo = (method, body = '') => ({ method, body, length: Buffer.byteLength(body), sha: sha256(Buffer.from(body)) });
const queued = ['first', 'second', 'third'].map((word) => ({ verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from(word), resBody: echo('POST', word), query: word }));

const expected = {
  undici_request_get: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  // Through undici's global dispatcher: whichever undici set it (on Node 22, the bundled 6.x) serves it.
  undici_request_global: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  undici_request_post: { verb: 'POST', path: '/json', status: 200, reqBody: { via: 'undici' }, resBody: echo('POST', '{"via":"undici"}'), reqHeaders: { 'content-length': '16' } },
  undici_request_stream_body: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('streamed request body') },
  undici_request_gzip: { verb: 'GET', path: '/gzip', status: 200, resBody: JSON_PAYLOAD },
  undici_fetch: { verb: 'GET', path: '/text', status: 200, resBody: Buffer.from(TEXT_PAYLOAD) },
  undici_stream: { verb: 'GET', path: '/bytes', status: 200, resBody: pattern(3000) },
  undici_pool_queued: queued,
  undici7_interceptor: { verb: 'PUT', path: '/json', status: 200, reqBody: Buffer.from('seven'), resBody: echo('PUT', 'seven') },
  undici6_no_interceptor: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('six, no interceptor'), resBody: echo('POST', 'six, no interceptor') },
  undici6_interceptor_request: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('six with interceptor'), resBody: echo('POST', 'six with interceptor') },
  undici6_interceptor_gzip: { verb: 'GET', path: '/gzip', status: 200, resBody: JSON_PAYLOAD },
  undici6_interceptor_fetch: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('fetch six'), resBody: echo('POST', 'fetch six') },
  undici6_interceptor_pool_queued: queued,
};

const total = Object.values(expected).reduce((n, e) => n + (Array.isArray(e) ? e.length : 1), 0);
await collector.waitForEvents(total, 10_000);

test('the app reads the same bytes with the agent as without it', () => {
  assert.deepEqual(Object.keys(withAgent.results).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) assert.deepEqual(withAgent.results[name], without.results[name], name);
});

test('one event per request, none twice', () => {
  assert.deepEqual(collector.events.filter((e) => !(caseOf(e.request.uri) in expected)).map((e) => e.request.uri), []);
  assert.equal(collector.events.length, total);
});

for (const [name, spec] of Object.entries(expected)) {
  test(`${name}: field by field`, () => {
    const specs = Array.isArray(spec) ? spec : [spec];
    const events = eventsOf(collector, name);
    assert.equal(events.length, specs.length, `${name}: ${events.map((e) => e.request.uri)}`);
    for (const want of specs) {
      const e = want.query ? events.find((x) => new URL(x.request.uri).searchParams.get('n') === want.query) : events[0];
      assert.ok(e, `${name} ${want.query ?? ''}`);
      const uri = new URL(e.request.uri);
      assert.equal(e.request.verb, want.verb);
      assert.equal(uri.pathname, want.path);
      assert.equal(e.response.status, want.status);
      assert.equal(e.request.headers.host, uri.host);
      if ('reqBody' in want) assert.deepEqual(bodyOf(e.request), want.reqBody);
      else assert.equal(e.request.body, undefined);
      if ('resBody' in want) assert.deepEqual(bodyOf(e.response), want.resBody);
      for (const [h, v] of Object.entries(want.reqHeaders ?? {})) assert.equal(e.request.headers[h], v, h);
      assert.equal(e.metadata, undefined);
      want.check?.(e, withAgent.results[name].result);
    }
  });
}
