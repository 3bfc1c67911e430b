import { subscribe } from 'node:diagnostics_channel';
import type { Http2ServerRequest, Http2ServerResponse, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import shimmer from 'shimmer';
import type { Exchange } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody, tapSafely } from './body-tap.js';
import { wrapLoadedFrameworks } from './frameworks.js';
import { incomingHookFacts } from './incoming-hooks.js';
import { BLOCKED_BY, CLIENT_CLOSED_STATUS, TRANSACTION_HEADER, transactionIdFor } from './server.js';
import type { CaptureSink } from './sink.js';
import type { BodyTarget } from './stream-taps.js';

/**
 * Incoming requests of node:http2 servers, the stream API (`server.on('stream')`) and the
 * compatibility API (`http2.createServer(handler)`, and so Fastify/Koa/Express on it), from the
 * `http2.server.stream.start` / `.close` channels, which Node publishes from 22 on (Node 20 has
 * none: HTTP/2 is not captured there). Start opens the capture before the app's handler runs;
 * close (both sides done, or reset) records the event. Bodies are observed the way HTTP/1's are:
 * the stream's push() for bytes in, write()/end() for bytes out, taps on ServerHttp2Stream's
 * prototype that act only on streams carrying a tap. Every subscriber and tap is contained.
 */
const STATE = Symbol.for('moesif.incomingHttp2');
const PATCHED = Symbol.for('moesif.http2Taps');

interface StreamState {
  startTime: number;
  method: string;
  url: string;
  /** As received, pseudo-headers included (the event's are made at the end, off the app's way in). */
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  requestTap: BodyTarget | undefined;
  responseTap: BodyTarget | undefined;
  transactionId: string | undefined;
  done: boolean;
}

let sink: CaptureSink | undefined;
let installed = false;
const seenSessions = new WeakSet<object>();

export function installHttp2Capture(target: CaptureSink): void {
  sink = target;
  if (installed) return;
  installed = true;
  subscribe('http2.server.stream.start', onStreamStart);
  subscribe('http2.server.stream.close', onStreamClose);
}

function onStreamStart(message: unknown): void {
  try {
    const options = sink?.options;
    if (!options) return;
    const { stream, headers } = message as { stream: ServerHttp2Stream; headers: IncomingHttpHeaders };
    installTaps(Object.getPrototypeOf(stream));
    const session = stream.session as object | undefined;
    if (session && !seenSessions.has(session)) {
      seenSessions.add(session);
      wrapLoadedFrameworks();
    }
    const method = String(headers[':method'] ?? 'GET');
    const forwardedProto = headers['x-forwarded-proto'];
    const scheme = typeof forwardedProto === 'string' && forwardedProto !== '' ? forwardedProto.split(',')[0]!.trim() : String(headers[':scheme'] ?? 'https');
    const authority = String(headers[':authority'] ?? headers.host ?? 'localhost');
    const transactionId = options.disableTransactionId ? undefined : transactionIdFor(headers[TRANSACTION_HEADER]);
    const state: StreamState = {
      startTime: Date.now(),
      method,
      url: `${scheme}://${authority}${String(headers[':path'] ?? '/')}`,
      headers,
      remoteAddress: stream.session?.socket?.remoteAddress,
      requestTap: options.logBody ? { body: newBody(), limit: options.requestMaxBodySize } : undefined,
      // HEAD: Node sends no body whatever the app writes.
      responseTap: options.logBody && method !== 'HEAD' ? { body: newBody(), limit: options.responseMaxBodySize } : undefined,
      transactionId,
      done: false,
    };
    (stream as any)[STATE] = state;
  } catch (err) {
    debugOnce('http2:start', `HTTP/2 capture failed at stream start: ${(err as Error).message}`);
  }
}

function onStreamClose(message: unknown): void {
  try {
    const stream = (message as { stream: ServerHttp2Stream }).stream as any;
    const state: StreamState | undefined = stream[STATE];
    if (!state || state.done) return;
    state.done = true;
    const options = sink?.options;
    if (!options) return;
    const { req, res } = compatObjects(stream);
    const facts = incomingHookFacts(options, req ?? streamRequestView(stream, state), res ?? streamResponseView(stream));
    if (facts === undefined) return;
    const sent: Record<string, unknown> = stream.sentHeaders ?? {};
    // Reset before the response was complete (the client cancelled, the session died): 499 as for
    // HTTP/1, whatever status the headers had announced.
    const complete = stream.rstCode === 0 && stream.writableEnded === true;
    const responseHeaders = regularHeaders(sent);
    const requestHeaders = regularHeaders(state.headers);
    if (state.transactionId !== undefined && state.headers[TRANSACTION_HEADER] === undefined) requestHeaders[TRANSACTION_HEADER] = state.transactionId;
    const exchange: Exchange = {
      direction: 'Incoming',
      startTime: state.startTime,
      endTime: Date.now(),
      method: state.method,
      url: state.url,
      requestHeaders,
      requestBody: state.requestTap?.body,
      status: complete ? Number(sent[':status'] ?? 200) : CLIENT_CLOSED_STATUS,
      responseHeaders,
      responseBody: state.responseTap?.body,
      remoteAddress: state.remoteAddress,
      // Copied one by one: a spread here costs ~80 ns per request (measured).
      userId: facts.userId,
      companyId: facts.companyId,
      sessionToken: facts.sessionToken,
      metadata: facts.metadata,
      apiVersion: facts.apiVersion,
      blockedBy: (res as any)?.[BLOCKED_BY],
      requestLimit: options.requestMaxBodySize,
      responseLimit: options.responseMaxBodySize,
    };
    sink!.record(exchange);
  } catch (err) {
    debugOnce('http2:close', `HTTP/2 capture failed at stream close: ${(err as Error).message}`);
  }
}

/** Where Node keeps the compatibility API's request and response on a stream: found once, on the first such stream. */
let compatKeys: { req: symbol | undefined; res: symbol | undefined } | undefined;

/**
 * node:http2 itself, taken when a stream shows it is in use: importing it up front would load it
 * (several ms at start) into every app, most of which never use HTTP/2.
 */
function http2Module(): typeof import('node:http2') {
  return (process as unknown as { getBuiltinModule(id: string): typeof import('node:http2') }).getBuiltinModule('node:http2');
}

/** The compatibility API's request and response for a stream (undefined for the stream API). */
function compatObjects(stream: any): { req: Http2ServerRequest | undefined; res: Http2ServerResponse | undefined } {
  const { Http2ServerRequest, Http2ServerResponse } = http2Module();
  if (compatKeys === undefined || compatKeys.req === undefined) {
    const found: { req: symbol | undefined; res: symbol | undefined } = { req: undefined, res: undefined };
    for (const key of Object.getOwnPropertySymbols(stream)) {
      const value = stream[key];
      if (value instanceof Http2ServerRequest) found.req = key;
      else if (value instanceof Http2ServerResponse) found.res = key;
    }
    if (found.req === undefined) return { req: undefined, res: undefined };
    compatKeys = found;
  }
  const req = stream[compatKeys.req!];
  const res = compatKeys.res === undefined ? undefined : stream[compatKeys.res];
  return {
    req: req instanceof Http2ServerRequest ? req : undefined,
    res: res instanceof Http2ServerResponse ? res : undefined,
  };
}

/** What hooks get as req for the stream API, which has no request object: method, url, headers and the stream. */
function streamRequestView(stream: ServerHttp2Stream, state: StreamState): object {
  return { method: state.method, url: state.url, headers: state.headers, stream };
}

function streamResponseView(stream: ServerHttp2Stream): object {
  const sent: Record<string, unknown> = stream.sentHeaders ?? {};
  return { statusCode: sent[':status'], headers: sent, stream };
}

/**
 * Taps on ServerHttp2Stream's prototype, once: push() sees every request chunk however the app
 * reads (or whether it reads), write()/end() every response chunk, respond() adds the
 * transaction id to the response headers (the compatibility API responds through it too).
 */
function installTaps(proto: any): void {
  if (!proto || Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  Object.defineProperty(proto, PATCHED, { value: true });
  shimmer.wrap(proto, 'push', (original: (chunk: any, encoding?: any) => boolean) =>
    function push(this: any, chunk: any, encoding?: any) {
      const tap: BodyTarget | undefined = this[STATE]?.requestTap;
      if (tap !== undefined && chunk !== null) tapSafely(tap.body, chunk, encoding, tap.limit);
      return original.apply(this, arguments as any);
    },
  );
  shimmer.wrap(proto, 'write', (original: (...args: any[]) => boolean) =>
    function write(this: any, chunk: any, encoding?: any) {
      const tap: BodyTarget | undefined = this[STATE]?.responseTap;
      if (tap !== undefined && !tap.ending && typeof chunk !== 'function') tapSafely(tap.body, chunk, encoding, tap.limit);
      return original.apply(this, arguments as any);
    },
  );
  shimmer.wrap(proto, 'end', (original: (...args: any[]) => any) =>
    function end(this: any, chunk?: any, encoding?: any) {
      const tap: BodyTarget | undefined = this[STATE]?.responseTap;
      if (tap === undefined) return original.apply(this, arguments as any);
      if (typeof chunk !== 'function' && !this.writableEnded) tapSafely(tap.body, chunk, encoding, tap.limit);
      tap.ending = true;
      try {
        return original.apply(this, arguments as any);
      } finally {
        tap.ending = false;
      }
    },
  );
  // respond(headers, options); respondWithFD(fd, headers, options); respondWithFile(path, headers, options).
  shimmer.wrap(proto, 'respond', (original: (...args: any[]) => any) =>
    function respond(this: any, headers?: any, options?: any) {
      if (arguments.length > 2) return original.apply(this, arguments as any);
      return original.call(this, withTransactionId(this, headers), options);
    },
  );
  for (const method of ['respondWithFD', 'respondWithFile']) {
    if (typeof proto[method] !== 'function') continue;
    shimmer.wrap(proto, method, (original: (...args: any[]) => any) =>
      function respondWith(this: any, source: any, headers?: any, options?: any) {
        if (arguments.length > 3) return original.apply(this, arguments as any);
        return original.call(this, source, withTransactionId(this, headers), options);
      },
    );
  }
}

/** The response headers with the stream's transaction id added, as a copy (the app's object stays as it made it). */
function withTransactionId(stream: any, headers: any): any {
  try {
    const state: StreamState | undefined = stream[STATE];
    if (state === undefined || state.transactionId === undefined || state.done) return headers;
    if (headers !== undefined && headers !== null && (typeof headers !== 'object' || hasHeader(headers, TRANSACTION_HEADER))) return headers;
    return { ...headers, [TRANSACTION_HEADER]: state.transactionId };
  } catch {
    return headers; // never reach the app
  }
}

function hasHeader(headers: Record<string, unknown>, lower: string): boolean {
  for (const name in headers) if (name.length === lower.length && name.toLowerCase() === lower) return true;
  return false;
}

/** An HTTP/2 header object's regular headers: its pseudo-headers (:method, :path, :status…) are in the event's verb, URI and status. */
export function regularHeaders(headers: Record<string, unknown>): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (name.charCodeAt(0) !== 58 /* : */ && value !== undefined) out[name] = value as string | string[] | number;
  }
  return out;
}

