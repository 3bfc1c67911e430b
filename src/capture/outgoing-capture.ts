import { asObject, runHook } from '../event/hooks.js';
import type { CapturedBody, Exchange, RawHeaders } from '../event/types.js';
import { debugOnce } from '../log.js';
import type { ResolvedOptions } from '../options/types.js';
import { makeViews } from './outgoing-view.js';
import type { CaptureSink } from './sink.js';

/**
 * Outgoing capture: every HTTP request the process sends becomes one Outgoing event.
 *
 * - node:http/https clients (and axios, got, node-fetch, superagent…): ./http-client.ts
 * - node:http2 clients (Node 22+): ./http2-client.ts
 * - undici (global fetch, npm undici): ./fetch.ts, from the `undici:*` channels
 * - ./undici-interceptor.ts: an interceptor users may compose onto their own undici dispatchers
 *
 * One event per request on the wire: a redirect chain is one event per hop, for every client.
 * The request path only keeps references and times; hooks run once, when the exchange ends.
 */

/**
 * Where an undici body came from; a better source replaces a worse one, never the other way
 * round: moesifInterceptor() (the dispatcher's handler callbacks) < the wire (undici's
 * bodyChunk* channels, or its request class's onBodySent/onData where it has no such channels)
 * < a request body undici already holds as bytes.
 */
export const SRC_NONE = 0;
export const SRC_INTERCEPTOR = 2;
export const SRC_CHANNEL = 3;
export const SRC_FIXED = 4;

/** What a capture module knows of one outgoing request; turned into an Exchange at the end. */
export interface OutgoingRecord {
  startTime: number;
  endTime: number;
  method: string;
  url: string;
  requestHeaders: RawHeaders | undefined;
  requestBody: CapturedBody | undefined;
  status: number;
  responseHeaders: RawHeaders | undefined;
  responseBody: CapturedBody | undefined;
  /** Why no (complete) response came: an Error from the client, or a short description. */
  error: unknown;
  /** Active span at the start, when @opentelemetry/api is loaded and a span is active. */
  trace: SpanContextLike | undefined;
  /** The request's traceparent header, when it has one (OpenTelemetry injects it). */
  traceparent: string | undefined;
  rawRequest: unknown;
  rawResponse: unknown;
  requestLimit: number;
  responseLimit: number;
}

export interface SpanContextLike {
  traceId: string;
  spanId: string;
}

/**
 * State shared by every copy of the package loaded in the process (ESM and CJS builds, nested
 * installs): the sink in force, and the link between an interceptor's dispatch and the undici
 * request it creates. One object on globalThis, so an interceptor imported from one copy links
 * with the channels another copy subscribed.
 */
export interface OutgoingHub {
  sink: CaptureSink | undefined;
  installed: boolean;
  /** Set for the synchronous part of an interceptor's dispatch(). */
  interceptCtx: unknown;
  /** An interceptor handler whose request was queued: linked at that request's sendHeaders. */
  pendingConnect: unknown;
}

export const hub: OutgoingHub = ((globalThis as any)[Symbol.for('moesif.outgoing')] ??= {
  sink: undefined,
  installed: false,
  interceptCtx: undefined,
  pendingConnect: undefined,
});

/** Options in force when outgoing capture is on, else undefined. One property chain: the hot path. */
export function outgoingOptions(): ResolvedOptions | undefined {
  const options = hub.sink?.options;
  return options !== undefined && options.captureOutgoingRequests ? options : undefined;
}

// OpenTelemetry, only when its API is loaded: its global (api major 1) holds the context manager.
const OTEL_API = Symbol.for('opentelemetry.js.api.1');
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const INVALID_TRACE = '00000000000000000000000000000000';

/** The active span's context, when @opentelemetry/api is loaded and a valid span is active. */
export function activeSpan(): SpanContextLike | undefined {
  const api = (globalThis as any)[OTEL_API];
  if (api === undefined) return undefined;
  try {
    const span = api.context?.active?.()?.getValue?.(SPAN_KEY);
    const sc = span?.spanContext?.();
    if (sc && typeof sc.traceId === 'string' && sc.traceId.length === 32 && sc.traceId !== INVALID_TRACE) return sc;
  } catch {
    /* a foreign API object of another shape: no trace */
  }
  return undefined;
}

/** trace_id/span_id from a W3C traceparent (`00-<32 hex>-<16 hex>-<2 hex>`), without a regex. */
function parseTraceparent(value: string): SpanContextLike | undefined {
  if (value.length < 55 || value.charCodeAt(2) !== 45 || value.charCodeAt(35) !== 45 || value.charCodeAt(52) !== 45) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === INVALID_TRACE || spanId === '0000000000000000') return undefined;
  return { traceId, spanId };
}

/** An error's code for metadata: the client's code (ECONNREFUSED, UND_ERR_…), else its cause's, else its name. */
function errorInfo(error: unknown): { code: string; message: string } {
  if (typeof error === 'string') return { code: 'ERR_INCOMPLETE', message: error };
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code =
    typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : typeof e?.name === 'string' ? e.name : 'Error';
  return { code, message: typeof e?.message === 'string' ? e.message : String(error) };
}

function hasOutgoingHooks(o: ResolvedOptions): boolean {
  return (
    o.skipOutgoing !== undefined ||
    o.identifyUserOutgoing !== undefined ||
    o.identifyCompanyOutgoing !== undefined ||
    o.getSessionTokenOutgoing !== undefined ||
    o.getMetadataOutgoing !== undefined
  );
}

/**
 * Hands a finished record to the agent: hooks (contained), trace ids and the error in metadata.
 * Never throws: a failure here costs this event only.
 */
export function emitOutgoing(rec: OutgoingRecord): void {
  try {
    const sink = hub.sink;
    const options = sink?.options;
    if (!sink || !options || !options.captureOutgoingRequests) return;
    let userId: unknown;
    let companyId: unknown;
    let sessionToken: unknown;
    let metadata: unknown;
    if (hasOutgoingHooks(options)) {
      const [request, response] = makeViews(rec, options.logBodyOutgoing);
      if (runHook('skipOutgoing', options.skipOutgoing, request, response) === true) return;
      userId = runHook('identifyUserOutgoing', options.identifyUserOutgoing, request, response);
      companyId = runHook('identifyCompanyOutgoing', options.identifyCompanyOutgoing, request, response);
      sessionToken = runHook('getSessionTokenOutgoing', options.getSessionTokenOutgoing, request, response);
      metadata = runHook('getMetadataOutgoing', options.getMetadataOutgoing, request, response);
    }
    const trace = (rec.traceparent !== undefined ? parseTraceparent(rec.traceparent) : undefined) ?? rec.trace;
    if (trace !== undefined || rec.error !== undefined) {
      const ours: Record<string, unknown> = {};
      if (trace !== undefined) {
        ours.trace_id = trace.traceId;
        ours.span_id = trace.spanId;
      }
      if (rec.error !== undefined) ours.error = errorInfo(rec.error);
      metadata = mergeMetadata(ours, metadata);
    }
    const exchange: Exchange = {
      direction: 'Outgoing',
      startTime: rec.startTime,
      endTime: rec.endTime,
      method: rec.method,
      url: rec.url,
      requestHeaders: rec.requestHeaders ?? [],
      requestBody: rec.requestBody,
      status: rec.status,
      responseHeaders: rec.responseHeaders ?? [],
      responseBody: rec.responseBody,
      userId,
      companyId,
      sessionToken,
      metadata,
      requestLimit: rec.requestLimit,
      responseLimit: rec.responseLimit,
    };
    sink.record(exchange);
  } catch (err) {
    debugOnce('outgoing:emit', `outgoing capture failed at the end of a call: ${(err as Error)?.message}`);
  }
}

/** Our keys (trace ids, error) under the hook's: the user's metadata wins on a clash. */
function mergeMetadata(ours: Record<string, unknown>, theirs: unknown): unknown {
  if (theirs === undefined || theirs === null) return ours;
  if (typeof (theirs as PromiseLike<unknown>)?.then === 'function') {
    return Promise.resolve(theirs).then((value) => mergeMetadata(ours, value), () => ours);
  }
  const object = asObject('getMetadataOutgoing', theirs); // the wrong type is refused (said once)
  return object === undefined ? ours : { ...ours, ...object };
}
