// node:http/https clients and the libraries on top (axios, got, node-fetch, superagent), called by
// a real app under the real preload against real servers on 127.0.0.1: one Outgoing event per
// request on the wire, bodies as sent and received (compressed ones decoded), failures recorded
// with status 0, and the app reads exactly what it reads without the agent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCollector } from '../support/collector.mjs';
import { startServers, JSON_PAYLOAD, TEXT_PAYLOAD, sha256 } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf, caseOf, bodyOf, OVER_LIMIT } from '../fixtures/outgoing/run.mjs';

const collector = await startTestCollector();
const servers = await startServers();
after(() => Promise.all([collector.close(), servers.close()]));

// The same app, with and without the agent, at the same time.
const [withAgent, without] = await Promise.all([
  runGroup('http', agentEnv(collector, servers)),
  runGroup('http', servers.env(), { preload: 'none' }),
]);

const json = (event) => event.response.body;
const echo = (method, body = '') => ({ method, body, length: Buffer.byteLength(body), sha: sha256(Buffer.from(body)) });

// name → what the one event (or the events, in order) must hold.
const expected = {
  http_get: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  http_post: { verb: 'POST', path: '/json', status: 200, reqBody: { a: 1, b: [true, null] }, resBody: echo('POST', '{"a":1,"b":[true,null]}') },
  http_named_import_put: { verb: 'PUT', path: '/json', status: 200, reqBody: Buffer.from('raw bytes body'), resBody: echo('PUT', 'raw bytes body') },
  https_get: { verb: 'GET', path: '/text', status: 200, scheme: 'https:', resBody: Buffer.from(TEXT_PAYLOAD) },
  http_gzip: { verb: 'GET', path: '/gzip', status: 200, resBody: JSON_PAYLOAD, resHeaders: { 'content-encoding': 'gzip' } },
  http_head: { verb: 'HEAD', path: '/json', status: 200, resBody: undefined },
  http_over_limit: { verb: 'GET', path: '/bytes', status: 200, resBody: OVER_LIMIT('response') },
  http_unread: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  http_refused: { verb: 'GET', path: '/json', status: 0, error: 'ECONNREFUSED' },
  http_timeout: { verb: 'GET', path: '/hang', status: 0, error: 'ETIMEDOUT' },
  http_cut: { verb: 'GET', path: '/cut', status: 200, error: 'ERR_INCOMPLETE', resBody: Buffer.from('x'.repeat(500)) },
  axios_get: { verb: 'GET', path: '/json', status: 200, resBody: echo('GET'), reqHeaders: { 'user-agent': /^axios\// } },
  axios_post: { verb: 'POST', path: '/json', status: 200, reqBody: { user: 'ada', roles: ['admin'] } },
  axios_redirect: [
    { verb: 'GET', path: '/redirect', status: 302, resHeaders: { location: /^\/json\?case=axios_redirect$/ } },
    { verb: 'GET', path: '/json', status: 200, resBody: echo('GET') },
  ],
  axios_404: { verb: 'GET', path: '/status', status: 404, resBody: { status: 404 } },
  got_post: { verb: 'POST', path: '/json', status: 200, reqBody: { from: 'got' }, resBody: echo('POST', '{"from":"got"}') },
  got_gzip: { verb: 'GET', path: '/gzip', status: 200, resBody: JSON_PAYLOAD },
  node_fetch_get: { verb: 'GET', path: '/text', status: 200, resBody: Buffer.from(TEXT_PAYLOAD) },
  node_fetch_post: { verb: 'POST', path: '/json', status: 200, reqBody: Buffer.from('name=node-fetch&x=1') },
  superagent_post: { verb: 'POST', path: '/json', status: 200, reqBody: { from: 'superagent' }, resBody: echo('POST', '{"from":"superagent"}') },
  superagent_br: { verb: 'GET', path: '/br', status: 200, resBody: JSON_PAYLOAD, resHeaders: { 'content-encoding': 'br' } },
};

const total = Object.values(expected).reduce((n, e) => n + (Array.isArray(e) ? e.length : 1), 0);
await collector.waitForEvents(total, 10_000);

test('the app reads the same bytes, statuses and errors with the agent as without it', () => {
  assert.deepEqual(Object.keys(withAgent.results).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) assert.deepEqual(withAgent.results[name], without.results[name], name);
});

test('nothing but the calls of the cases: no event twice, none of the agent’s own traffic', () => {
  const names = collector.events.map((e) => caseOf(e.request.uri));
  assert.ok(names.every((n) => n !== null && n in expected), `unexpected events: ${collector.events.filter((e) => !(caseOf(e.request.uri) in expected)).map((e) => e.request.uri)}`);
  assert.equal(collector.events.length, total);
  assert.ok(collector.events.every((e) => e.direction === 'Outgoing'));
  assert.ok(!collector.events.some((e) => e.request.uri.startsWith(collector.url)), 'the collector is never an event');
});

for (const [name, spec] of Object.entries(expected)) {
  test(`${name}: one event per request on the wire, field by field`, () => {
    const specs = Array.isArray(spec) ? spec : [spec];
    const events = eventsOf(collector, name).sort((a, b) => a.request.time.localeCompare(b.request.time));
    assert.equal(events.length, specs.length, `${name}: ${events.map((e) => e.request.uri)}`);
    specs.forEach((want, i) => {
      const e = events[i];
      const uri = new URL(e.request.uri);
      assert.equal(e.request.verb, want.verb);
      assert.equal(uri.pathname, want.path);
      assert.equal(uri.protocol, want.scheme ?? 'http:');
      assert.equal(uri.hostname, '127.0.0.1');
      assert.equal(e.response.status, want.status);
      assert.match(e.request.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(e.request.time <= e.response.time, 'request time before response time');
      if (want.status !== 0) assert.equal(e.request.headers.host, uri.host, 'the Host header as sent');
      if ('reqBody' in want) assert.deepEqual(bodyOf(e.request), want.reqBody);
      else if (want.verb === 'GET' || want.verb === 'HEAD') assert.equal(e.request.body, undefined, 'no request body');
      if ('resBody' in want) assert.deepEqual(bodyOf(e.response), want.resBody);
      for (const [h, v] of Object.entries(want.resHeaders ?? {})) v instanceof RegExp ? assert.match(e.response.headers[h], v) : assert.equal(e.response.headers[h], v);
      for (const [h, v] of Object.entries(want.reqHeaders ?? {})) assert.match(e.request.headers[h], v);
      if (want.error) {
        assert.equal(e.metadata?.error?.code, want.error);
        assert.equal(typeof e.metadata.error.message, 'string');
      } else assert.equal(e.metadata?.error, undefined);
      if (want.status > 0) assert.ok(json(e) !== null);
    });
  });
}
