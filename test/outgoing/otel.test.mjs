// OpenTelemetry's http and undici instrumentations active alongside the agent: both work (every
// call gets its client span and the server its traceparent), nothing is captured twice, and each
// event carries the trace in metadata: the client span OpenTelemetry propagated (trace_id,
// span_id), else the span active when the call began.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTestCollector } from '../support/collector.mjs';
import { startServers } from '../fixtures/outgoing/servers.mjs';
import { agentEnv, runGroup, eventsOf, caseOf } from '../fixtures/outgoing/run.mjs';

const collector = await startTestCollector();
const servers = await startServers();
after(() => Promise.all([collector.close(), servers.close()]));

const APP = fileURLToPath(new URL('../fixtures/outgoing/otel-app.cjs', import.meta.url));
const [withAgent, without] = await Promise.all([
  runGroup('otel', agentEnv(collector, servers), { script: APP, preload: 'require' }),
  runGroup('otel', { ...servers.env(), RUN_TAG: 'bare' }, { script: APP, preload: 'none' }),
]);
const names = ['otel_http_in_span', 'otel_fetch_in_span', 'otel_axios_in_span', 'otel_http_ignored_in_span', 'otel_fetch_no_span'];
await collector.waitForEvents(names.length, 10_000);

const otel = JSON.parse(withAgent.stdout.match(/^SPANS (.*)$/m)[1]);
/** What the server received from the app under the agent: the traceparent of each case's call. */
const traceparent = (name) => servers.state.requests.filter((r) => r.search === `?case=${name}`).map((r) => r.headers.traceparent);

test('the app reads the same with the agent as without it', () => {
  for (const name of names) assert.deepEqual(withAgent.results[name], without.results[name], name);
});

test('OpenTelemetry still works: one client span per instrumented call, propagated to the server', () => {
  const clientSpans = otel.spans.filter((s) => s.kind === 2 /* CLIENT */);
  // http and undici instrumentations: the ignored /text call has none.
  assert.equal(clientSpans.length, 4, JSON.stringify(otel.spans));
  for (const name of ['otel_http_in_span', 'otel_fetch_in_span', 'otel_axios_in_span', 'otel_fetch_no_span']) {
    const [header, ...more] = traceparent(name).filter((h) => h !== undefined);
    assert.equal(more.length, 0);
    const [, traceId, spanId] = header.split('-');
    const span = clientSpans.find((s) => s.spanId === spanId);
    assert.ok(span, `${name}: the traceparent the server got is a client span OpenTelemetry exported`);
    assert.equal(span.traceId, traceId);
    if (otel.parents[name]) assert.equal(traceId, otel.parents[name].traceId, `${name}: under its parent span`);
  }
});

test('one event per call, none twice, with the trace of the call in metadata', () => {
  assert.deepEqual(collector.events.map((e) => caseOf(e.request.uri)).sort(), [...names].sort());
  for (const name of names) {
    const [event] = eventsOf(collector, name);
    assert.equal(event.direction, 'Outgoing');
    assert.equal(event.response.status, 200);
    const header = traceparent(name).find((h) => h !== undefined);
    if (header) {
      // The client span OpenTelemetry propagated to the server, as the server saw it.
      const [, traceId, spanId] = header.split('-');
      assert.deepEqual({ trace_id: event.metadata?.trace_id, span_id: event.metadata?.span_id }, { trace_id: traceId, span_id: spanId }, name);
      assert.equal(event.request.headers.traceparent, header);
    } else {
      // No client span (the instrumentation ignored the call): the span active when it began.
      const parent = otel.parents[name];
      assert.deepEqual({ trace_id: event.metadata?.trace_id, span_id: event.metadata?.span_id }, { trace_id: parent.traceId, span_id: parent.spanId }, name);
    }
  }
  assert.deepEqual(eventsOf(collector, 'otel_fetch_in_span')[0].request.body, { x: 1 });
});
