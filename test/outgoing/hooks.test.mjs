// The *Outgoing hooks (from a config module, as a preload-only app gives them): one normalized
// (request, response) view for every client, with the client's own objects at .raw; skipOutgoing;
// a throwing hook costs its field only; async hooks; logBodyOutgoing=false leaves bodies out of
// the events and the views.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTestCollector } from '../support/collector.mjs';
import { startServers } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf } from '../fixtures/outgoing/run.mjs';

const CONFIG = fileURLToPath(new URL('../fixtures/outgoing/hooks.config.cjs', import.meta.url));
const servers = await startServers();
const withBodies = await startTestCollector();
const noBodies = await startTestCollector();
after(() => Promise.all([withBodies.close(), noBodies.close(), servers.close()]));

await Promise.all([
  runGroup('hooks', agentEnv(withBodies, servers, { MOESIF_CONFIG: CONFIG })),
  runGroup('hooks', agentEnv(noBodies, servers, { MOESIF_CONFIG: CONFIG, MOESIF_LOG_BODY_OUTGOING: 'false' })),
]);
// Every case but the skipped one.
await Promise.all([withBodies.waitForEvents(8, 10_000), noBodies.waitForEvents(8, 10_000)]);

const clients = {
  hooks_http: { rawRequest: 'ClientRequest', rawResponse: 'IncomingMessage' },
  hooks_fetch: { rawRequest: 'Request', rawResponse: 'Object' },
  hooks_undici: { rawRequest: 'Request', rawResponse: 'Object' },
  hooks_axios: { rawRequest: 'ClientRequest', rawResponse: 'IncomingMessage' },
};

test('every client: the same view, the client’s own objects at .raw, hook values in the event', () => {
  for (const [name, raw] of Object.entries(clients)) {
    const [event, ...more] = eventsOf(withBodies, name);
    assert.equal(more.length, 0, name);
    assert.equal(event.user_id, 'user-7', name);
    assert.equal(event.company_id, 'test', name);
    assert.equal(event.session_token, 'sess-1', name);
    assert.deepEqual(
      event.metadata,
      {
        method: 'POST',
        path: '/json',
        status: 200,
        requestBody: { session: 'sess-1', n: 1 },
        responseBodyKind: 'object',
        responseBodyMethod: 'POST',
        requestHeaderType: 'string',
        responseHeaderType: 'application/json',
        ...raw,
      },
      name,
    );
  }
});

test('a text body is a string in the view', () => {
  const [event] = eventsOf(withBodies, 'hooks_text');
  assert.equal(event.metadata.method, 'GET');
  assert.equal(event.metadata.requestBody, undefined);
  assert.equal(event.metadata.responseBodyKind, 'string');
});

test('skipOutgoing: no event', () => {
  assert.equal(eventsOf(withBodies, 'hooks_skipped').length, 0);
  assert.equal(eventsOf(noBodies, 'hooks_skipped').length, 0);
});

test('a hook that throws costs its field only', () => {
  const [event] = eventsOf(withBodies, 'hooks_throws');
  assert.equal(event.company_id, undefined);
  assert.equal(event.user_id, 'user-7');
  assert.equal(event.metadata.status, 200);
});

test('an async hook is awaited off the request path', () => {
  const [event] = eventsOf(withBodies, 'hooks_async');
  assert.equal(event.metadata.async, true);
  assert.equal(event.metadata.status, 200);
});

test('a failed call: status 0 in the view, the error at response.raw, and in metadata beside the hook’s keys', () => {
  const [event] = eventsOf(withBodies, 'hooks_failed');
  assert.equal(event.response.status, 0);
  assert.equal(event.metadata.status, 0);
  assert.equal(event.metadata.rawResponse, 'Error');
  assert.equal(event.metadata.responseBodyKind, 'undefined');
  assert.equal(event.metadata.error.code, 'ECONNREFUSED');
});

test('logBodyOutgoing=false: no bodies in the events nor in the views', () => {
  assert.equal(noBodies.events.length, 8);
  for (const event of noBodies.events) {
    assert.equal(event.request.body, undefined);
    assert.equal(event.response.body, undefined);
    assert.equal(event.metadata.requestBody, undefined);
    assert.equal(event.metadata.responseBodyKind, 'undefined');
    assert.equal(event.session_token, undefined, 'the session came from the body');
  }
  assert.equal(eventsOf(noBodies, 'hooks_http')[0].user_id, 'user-7');
});
