'use strict';
// Configuration (d): OpenTelemetry as its docs set it up for a Node service, loaded before the
// app with `node --require ./otel-setup.cjs app.cjs`: sdk-trace-node's NodeTracerProvider, the
// http and undici instrumentations, and a BatchSpanProcessor into the OTLP/HTTP exporter (JSON
// encoding, no compression: the exporter's defaults), pointed at the bench's local collector,
// which counts the spans it receives. Every option at its default except the processor's
// scheduledDelayMillis (1 s instead of 5 s: every configuration flushes a partial batch after 1 s,
// so a round does not wait 5 s for the last spans).
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');

// BENCH_OTEL_EXPORTER=noop (configuration otel-noop): the same tracing and batching, with an
// exporter that drops every batch at once: what the instrumentation alone costs.
const noopExporter = { export: (spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve(), forceFlush: () => Promise.resolve() };
const url = process.env.BENCH_OTLP_URL;
const noop = process.env.BENCH_OTEL_EXPORTER === 'noop';
if (!url && !noop) throw new Error('otel-setup.cjs: BENCH_OTLP_URL is not set');
const exporter = noop ? noopExporter : new OTLPTraceExporter({ url });
const provider = new NodeTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: Number(process.env.BENCH_FLUSH_MS ?? 1000) })],
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()] });
