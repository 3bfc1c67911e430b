import { subscribe } from 'node:diagnostics_channel';
import type { ClientHttp2Stream, IncomingHttpHeaders } from 'node:http2';
import shimmer from 'shimmer';
import type { CapturedBody } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody, tapSafely } from './body-tap.js';
import { regularHeaders } from './http2-server.js';
import { activeSpan, emitOutgoing, outgoingOptions, type SpanContextLike } from './outgoing-capture.js';

/**
 * Outgoing requests of node:http2 clients (`http2.connect(…).request(…)`, and gRPC and the other
 * libraries on it), from the `http2.client.stream.*` channels Node publishes from 22 on (Node 20
 * has none: not captured there). `created` opens the capture in the caller's context (so the
 * active span is the caller's), `finish` brings the response headers, `close` ends it; an error
 * published right after the close is waited for one turn, so a failed call carries it. Bodies
 * through taps on ClientHttp2Stream's prototype (write/end out, push in), as for HTTP/1.
 */
const STATE = Symbol.for('moesif.outgoingHttp2');
const PATCHED = Symbol.for('moesif.http2ClientTaps');

interface ClientState {
  startTime: number;
  method: string;
  url: string;
  requestHeaders: Record<string, string | string[]>;
  requestBody: CapturedBody | undefined;
  responseBody: CapturedBody | undefined;
  requestLimit: number;
  responseLimit: number;
  responseHeaders: IncomingHttpHeaders | undefined;
  /** The response's last byte arrived (push(null)). */
  responseEnded: boolean;
  /** Set while end() runs, so a write() that end() may make is not counted twice. */
  ending: boolean;
  error: unknown;
  trace: SpanContextLike | undefined;
  done: boolean;
}

let installed = false;

export function installHttp2ClientCapture(): void {
  if (installed) return;
  installed = true;
  subscribe('http2.client.stream.created', onCreated);
  subscribe('http2.client.stream.finish', onResponseHeaders);
  subscribe('http2.client.stream.error', onError);
  subscribe('http2.client.stream.close', onClose);
}

function onCreated(message: unknown): void {
  try {
    const options = outgoingOptions();
    if (!options) return;
    const { stream, headers } = message as { stream: ClientHttp2Stream; headers: IncomingHttpHeaders };
    if (isUndiciSession(stream.session)) return; // undici's own HTTP/2 (allowH2): captured once, through undici's channels
    installTaps(Object.getPrototypeOf(stream));
    const authority = String(headers[':authority'] ?? 'localhost');
    const requestHeaders = regularHeaders(headers) as Record<string, string | string[]>;
    const state: ClientState = {
      startTime: Date.now(),
      method: String(headers[':method'] ?? 'GET'),
      url: `${String(headers[':scheme'] ?? 'https')}://${authority}${String(headers[':path'] ?? '/')}`,
      requestHeaders,
      requestBody: options.logBodyOutgoing ? newBody() : undefined,
      responseBody: options.logBodyOutgoing ? newBody() : undefined,
      requestLimit: options.requestMaxBodySize,
      responseLimit: options.responseMaxBodySize,
      responseHeaders: undefined,
      responseEnded: false,
      ending: false,
      error: undefined,
      trace: activeSpan(),
      done: false,
    };
    (stream as any)[STATE] = state;
  } catch (err) {
    debugOnce('http2-client:created', `HTTP/2 client capture failed at the start of a call: ${(err as Error).message}`);
  }
}

function onResponseHeaders(message: unknown): void {
  const { stream, headers } = message as { stream: any; headers: IncomingHttpHeaders };
  const state: ClientState | undefined = stream?.[STATE];
  if (state !== undefined && state.responseHeaders === undefined) state.responseHeaders = headers;
}

function onError(message: unknown): void {
  const { stream, error } = message as { stream: any; error: unknown };
  const state: ClientState | undefined = stream?.[STATE];
  if (state !== undefined && state.error === undefined) state.error = error;
}

function onClose(message: unknown): void {
  const stream = (message as { stream: any }).stream;
  const state: ClientState | undefined = stream?.[STATE];
  if (state === undefined || state.done) return;
  state.done = true;
  const endTime = Date.now();
  const rstCode: unknown = stream.rstCode;
  // Node publishes a failed stream's error after its close: one turn later it is known.
  setImmediate(() => {
    try {
      record(stream, state, endTime, rstCode);
    } catch (err) {
      debugOnce('http2-client:close', `HTTP/2 client capture failed at the end of a call: ${(err as Error).message}`);
    }
  });
}

function record(stream: ClientHttp2Stream, state: ClientState, endTime: number, rstCode: unknown): void {
  const sent = state.responseHeaders;
  const responseHeaders = sent ? regularHeaders(sent) : {};
  let error = state.error;
  if (error === undefined && !state.responseEnded) {
    error = sent === undefined ? 'the stream closed before a response came' : `the stream closed before the response was complete (code ${String(rstCode)})`;
  }
  const traceparent = state.requestHeaders.traceparent;
  emitOutgoing({
    startTime: state.startTime,
    endTime,
    method: state.method,
    url: state.url,
    requestHeaders: state.requestHeaders,
    requestBody: state.requestBody,
    // As for every client: the status received, or 0 when no response came.
    status: sent === undefined ? 0 : Number(sent[':status'] ?? 0),
    responseHeaders,
    responseBody: state.responseBody,
    error,
    trace: state.trace,
    traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    rawRequest: stream,
    rawResponse: sent,
    requestLimit: state.requestLimit,
    responseLimit: state.responseLimit,
  });
}

/** An HTTP/2 session undici made for itself (its Client keeps itself on the session under its own symbol). */
function isUndiciSession(session: unknown): boolean {
  if (!session || typeof session !== 'object') return false;
  for (const key of Object.getOwnPropertySymbols(session)) if (key.description === 'client') return true;
  return false;
}

/** Taps on ClientHttp2Stream's prototype, once: write()/end() for the request body, push() for the response's. */
function installTaps(proto: any): void {
  if (!proto || Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  Object.defineProperty(proto, PATCHED, { value: true });
  shimmer.wrap(proto, 'push', (original: (chunk: any, encoding?: any) => boolean) =>
    function push(this: any, chunk: any, encoding?: any) {
      const state: ClientState | undefined = this[STATE];
      if (state !== undefined) {
        if (chunk === null) state.responseEnded = true;
        else if (state.responseBody !== undefined) tapSafely(state.responseBody, chunk, encoding, state.responseLimit);
      }
      return original.apply(this, arguments as any);
    },
  );
  shimmer.wrap(proto, 'write', (original: (...args: any[]) => boolean) =>
    function write(this: any, chunk: any, encoding?: any) {
      const state: ClientState | undefined = this[STATE];
      if (state?.requestBody !== undefined && !state.ending && typeof chunk !== 'function') tapSafely(state.requestBody, chunk, encoding, state.requestLimit);
      return original.apply(this, arguments as any);
    },
  );
  shimmer.wrap(proto, 'end', (original: (...args: any[]) => any) =>
    function end(this: any, chunk?: any, encoding?: any) {
      const state: ClientState | undefined = this[STATE];
      if (state?.requestBody === undefined) return original.apply(this, arguments as any);
      if (typeof chunk !== 'function' && !this.writableEnded) tapSafely(state.requestBody, chunk, encoding, state.requestLimit);
      state.ending = true;
      try {
        return original.apply(this, arguments as any);
      } finally {
        state.ending = false;
      }
    },
  );
}
