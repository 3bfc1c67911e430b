import { subscribe } from 'node:diagnostics_channel';
import shimmer from 'shimmer';
import type { RawHeaders } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody, tapChunk } from './body-tap.js';
import {
  activeSpan,
  emitOutgoing,
  hub,
  outgoingOptions,
  SRC_CHANNEL,
  SRC_FIXED,
  SRC_INTERCEPTOR,
  SRC_NONE,
  type OutgoingRecord,
} from './outgoing-capture.js';
import type { InterceptCtx } from './undici-interceptor.js';

/**
 * undici requests — the global fetch (Node's bundled undici) and npm undici (request, stream,
 * fetch, Pool, Client, Agent) alike, since every copy publishes on the same `undici:*` channel
 * names:
 *
 * - `undici:request:create` opens the record (method, origin, path, the request's headers; a body
 *   undici already holds as bytes is kept as is), `undici:client:sendHeaders` gives the header
 *   block as written to the wire, `undici:request:headers` the status and response headers,
 *   `undici:request:trailers` the end (last byte received), `undici:request:error` a failure.
 * - Bodies, as raw wire bytes (compressed ones are decoded later, bounded): undici ≥ 7.11 (Node
 *   24+, recent npm undici) publishes `undici:request:bodyChunkSent` / `bodyChunkReceived`. Older
 *   undici (Node 20/22's bundled 6.x, npm undici 6) does not: there the request class of that
 *   undici copy, met at its first create, gets its `onBodySent` / `onData` observed (each copy
 *   once, on its prototype). Those are the calls through which every body chunk reaches the
 *   handler, whatever the API (fetch, request, stream, a Pool, an interceptor), so the app's
 *   stream, its pace and its cancel() are untouched — no tee, no clone.
 *
 * A redirect chain is one event per hop. A hop that answered 3xx with a Location ends when the
 * client creates the request for that Location, whether or not it read the redirect's body.
 */
const REC = Symbol.for('moesif.outgoing.undici');
/** Set on an undici request class whose body chunks we observe (or that publishes them). */
const TAPPED = Symbol.for('moesif.undiciRequestTapped');
/** Redirects still being answered, by their Location (a record leaves the map when it ends). */
const MAX_REDIRECTS = 256;
/** How long an aborted redirect waits for fetch to create its next hop (microtasks away). */
const REDIRECT_FOLLOW_WAIT_MS = 20;

export interface UndiciRecord extends OutgoingRecord {
  request: any;
  wireHeaders: string | undefined;
  reqSrc: number;
  resSrc: number;
  logBody: boolean;
  /** The request ended (trailers or error). */
  channelDone: boolean;
  done: boolean;
  /** The Location this 3xx points at, while the record waits in `redirects`. */
  redirectKey: string | undefined;
  interceptCtx: InterceptCtx | undefined;
}

const redirects = new Map<string, UndiciRecord>();

export function installUndiciCapture(): void {
  // A subscriber that throws would surface as an uncaught exception in the app: each is contained.
  subscribe('undici:request:create', onCreate);
  subscribe('undici:client:sendHeaders', guard(onSendHeaders));
  subscribe('undici:request:bodyChunkSent', guard(onChunkSent));
  subscribe('undici:request:headers', guard(onHeaders));
  subscribe('undici:request:bodyChunkReceived', guard(onChunkReceived));
  subscribe('undici:request:trailers', guard(onTrailers));
  subscribe('undici:request:error', guard(onError));
}

function guard(subscriber: (message: unknown) => void): (message: unknown) => void {
  return (message) => {
    try {
      subscriber(message);
    } catch (err) {
      debugOnce(`outgoing:undici:${subscriber.name}`, `outgoing capture failed in ${subscriber.name}: ${(err as Error)?.message}`);
    }
  };
}

function contained(tap: (rec: UndiciRecord, chunk: unknown) => void, rec: UndiciRecord, chunk: unknown): void {
  try {
    tap(rec, chunk);
  } catch (err) {
    debugOnce('outgoing:undici:body', `outgoing capture failed at a body chunk: ${(err as Error)?.message}`);
  }
}

/**
 * Observes body chunks for an undici copy that does not publish them (< 7.11): once per request
 * class, on its prototype. A class whose methods publish the chunk channels is left alone.
 */
function tapRequestClass(request: any): void {
  const proto = Object.getPrototypeOf(request);
  if (proto === null || proto === Object.prototype || Object.prototype.hasOwnProperty.call(proto, TAPPED)) return;
  Object.defineProperty(proto, TAPPED, { value: true });
  if (typeof proto.onData === 'function' && !String(proto.onData).includes('bodyChunkReceived')) {
    shimmer.wrap(proto, 'onData', (original: (chunk: unknown) => unknown) =>
      function onData(this: any, chunk: unknown) {
        const rec: UndiciRecord | undefined = this[REC];
        if (rec !== undefined) contained(received, rec, chunk);
        return original.apply(this, arguments as any);
      },
    );
  }
  if (typeof proto.onBodySent === 'function' && !String(proto.onBodySent).includes('bodyChunkSent')) {
    shimmer.wrap(proto, 'onBodySent', (original: (chunk: unknown) => unknown) =>
      function onBodySent(this: any, chunk: unknown) {
        const rec: UndiciRecord | undefined = this[REC];
        if (rec !== undefined) contained(sent, rec, chunk);
        return original.apply(this, arguments as any);
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Channels

function onCreate(message: unknown): void {
  const options = outgoingOptions();
  if (options === undefined) return;
  try {
    const request = (message as { request: any }).request;
    // A proxy tunnel or a WebSocket is not an HTTP exchange of its own.
    if (request.method === 'CONNECT' || request.upgrade) return;
    const rec: UndiciRecord = {
      startTime: Date.now(),
      endTime: 0,
      method: '',
      url: '',
      requestHeaders: undefined,
      requestBody: undefined,
      status: 0,
      responseHeaders: undefined,
      responseBody: undefined,
      error: undefined,
      trace: activeSpan(),
      traceparent: undefined,
      rawRequest: request,
      rawResponse: undefined,
      requestLimit: options.requestMaxBodySize,
      responseLimit: options.responseMaxBodySize,
      request,
      wireHeaders: undefined,
      reqSrc: SRC_NONE,
      resSrc: SRC_NONE,
      logBody: options.logBodyOutgoing,
      channelDone: false,
      done: false,
      redirectKey: undefined,
      interceptCtx: undefined,
    };
    if (rec.logBody) {
      const body = request.body;
      if (body instanceof Uint8Array) {
        rec.requestBody = newBody();
        tapChunk(rec.requestBody, body, undefined, rec.requestLimit);
        rec.reqSrc = SRC_FIXED;
      }
    }
    if (request[TAPPED] === undefined) tapRequestClass(request);
    request[REC] = rec;
    const ic = hub.interceptCtx as InterceptCtx | undefined;
    if (ic !== undefined && ic.record === undefined) linkInterceptor(rec, ic);
    if (redirects.size !== 0) followRedirect(rec);
  } catch (err) {
    debugOnce('outgoing:undici:create', `outgoing capture failed at request create: ${(err as Error)?.message}`);
  }
}

function onSendHeaders(message: unknown): void {
  const { request, headers } = message as { request: any; headers: string };
  const rec: UndiciRecord | undefined = request[REC];
  const pending = hub.pendingConnect as InterceptCtx | undefined;
  if (pending !== undefined) {
    hub.pendingConnect = undefined;
    if (rec !== undefined && pending.record === undefined && rec.interceptCtx === undefined) linkInterceptor(rec, pending);
  }
  if (rec !== undefined) rec.wireHeaders = headers;
}

function onChunkSent(message: unknown): void {
  const { request, chunk } = message as { request: any; chunk: unknown };
  const rec: UndiciRecord | undefined = request[REC];
  if (rec !== undefined) sent(rec, chunk);
}

/** A request body chunk as written to the wire. */
function sent(rec: UndiciRecord, chunk: unknown): void {
  if (!rec.logBody || rec.reqSrc > SRC_CHANNEL) return;
  if (rec.reqSrc !== SRC_CHANNEL) {
    rec.requestBody = newBody();
    rec.reqSrc = SRC_CHANNEL;
  }
  tapChunk(rec.requestBody!, chunk, undefined, rec.requestLimit);
}

function onHeaders(message: unknown): void {
  const { request, response } = message as { request: any; response: { statusCode: number; headers: unknown } };
  const rec: UndiciRecord | undefined = request[REC];
  if (rec === undefined || rec.channelDone) return;
  rec.status = response.statusCode;
  rec.responseHeaders = response.headers as RawHeaders;
  rec.rawResponse = response;
  if (rec.status >= 300 && rec.status < 400 && rec.status !== 304) {
    try {
      expectRedirect(rec, response.headers as unknown[]);
    } catch {
      /* a Location that is no URL: nothing will follow it */
    }
  }
}

function onChunkReceived(message: unknown): void {
  const { request, chunk } = message as { request: any; chunk: unknown };
  const rec: UndiciRecord | undefined = request[REC];
  if (rec !== undefined) received(rec, chunk);
}

/** A response body chunk as it came off the wire. */
function received(rec: UndiciRecord, chunk: unknown): void {
  if (!rec.logBody || rec.channelDone) return;
  if (rec.resSrc !== SRC_CHANNEL) {
    rec.responseBody = newBody();
    rec.resSrc = SRC_CHANNEL;
  }
  tapChunk(rec.responseBody!, chunk, undefined, rec.responseLimit);
}

function onTrailers(message: unknown): void {
  const rec: UndiciRecord | undefined = (message as { request: any }).request[REC];
  if (rec !== undefined) endRecord(rec, undefined);
}

function onError(message: unknown): void {
  const { request, error } = message as { request: any; error: unknown };
  const rec: UndiciRecord | undefined = request[REC];
  if (rec === undefined) return;
  // fetch in undici 8 aborts a redirect's unread body before it creates the request for the
  // Location: that abort is fetch moving on, not a failure, unless no next hop follows.
  if (rec.redirectKey !== undefined && redirects.get(rec.redirectKey) === rec && (error as Error)?.name === 'AbortError') {
    const abortedAt = Date.now();
    setTimeout(() => {
      if (!rec.channelDone) endRecord(rec, error, abortedAt);
    }, REDIRECT_FOLLOW_WAIT_MS);
    return;
  }
  endRecord(rec, error ?? 'request failed');
}

// ---------------------------------------------------------------------------------------------
// Records

function endRecord(rec: UndiciRecord, error: unknown, endTime = Date.now()): void {
  if (rec.channelDone) return;
  rec.channelDone = true;
  rec.endTime = endTime;
  if (error !== undefined) rec.error = error;
  complete(rec);
}

function complete(rec: UndiciRecord): void {
  if (rec.done) return;
  rec.done = true;
  // A finished record is nothing to follow: never keep it (and its bodies) in the map.
  if (rec.redirectKey !== undefined && redirects.get(rec.redirectKey) === rec) redirects.delete(rec.redirectKey);
  const request = rec.request;
  try {
    request[REC] = undefined;
    rec.method = String(request.method);
    rec.url = urlOf(request);
    rec.requestHeaders = requestHeadersOf(rec);
    rec.traceparent = headerIn(request.headers, 'traceparent');
    if (Array.isArray(rec.responseHeaders)) rec.responseHeaders = toStrings(rec.responseHeaders);
  } catch (err) {
    debugOnce('outgoing:undici:end', `outgoing capture failed at request end: ${(err as Error)?.message}`);
    return;
  }
  emitOutgoing(rec);
}

function originOf(request: any): string {
  const origin = request.origin;
  if (typeof origin === 'string') return origin.endsWith('/') ? origin.slice(0, -1) : origin;
  if (origin && typeof origin.origin === 'string') return origin.origin;
  return String(origin);
}

function urlOf(request: any): string {
  const path = String(request.path);
  if (path.startsWith('http://') || path.startsWith('https://')) return path; // through a proxy
  return originOf(request) + path;
}

/** The header block as written (H1: request line first), else the request's own list. */
function requestHeadersOf(rec: UndiciRecord): RawHeaders {
  const request = rec.request;
  const length: number | null | undefined =
    request.contentLength ?? (rec.reqSrc === SRC_FIXED && request.body instanceof Uint8Array ? request.body.byteLength : undefined);
  const wire = rec.wireHeaders;
  if (typeof wire === 'string') {
    // HTTP/1's block starts with the request line ("PUT /x HTTP/1.1"), which normalizing skips as
    // a status line; HTTP/2's has none (its pseudo-headers, ":method: PUT", are skipped as lines
    // without a name) and carries its own content-length.
    const firstLine = wire.slice(0, wire.indexOf('\r\n'));
    const h1 = firstLine.endsWith(' HTTP/1.1') || firstLine.endsWith(' HTTP/1.0');
    let block = h1 ? wire : '\r\n' + wire;
    if (length != null && (h1 || !/(^|\n)content-length:/i.test(wire))) block += `content-length: ${length}\r\n`;
    return block;
  }
  const headers = request.headers;
  if (typeof headers === 'string') return '\r\n' + headers + (length != null ? `content-length: ${length}\r\n` : ''); // undici 5
  if (!Array.isArray(headers)) return [];
  return length != null ? headers.concat('content-length', String(length)) : headers;
}

function headerIn(headers: unknown, name: string): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const key = headers[i];
    if (typeof key === 'string' && key.length === name.length && key.toLowerCase() === name) {
      const value = headers[i + 1];
      return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
    }
  }
  return undefined;
}

function toStrings(list: unknown[]): string[] {
  const out = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    out[i] = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Redirects: one event per hop; the next hop is the request created for the Location.

function expectRedirect(rec: UndiciRecord, headers: unknown[]): void {
  let location: string | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const key = headers[i] as Buffer | string;
    if (key.length === 8 && key.toString().toLowerCase() === 'location') {
      location = String(headers[i + 1]);
      break;
    }
  }
  if (location === undefined) return;
  const target = new URL(location, urlOf(rec.request));
  const key = target.origin + target.pathname + target.search;
  if (redirects.size >= MAX_REDIRECTS) redirects.delete(redirects.keys().next().value!);
  redirects.set(key, rec);
  rec.redirectKey = key;
}

function followRedirect(next: UndiciRecord): void {
  const key = originOf(next.request) + String(next.request.path);
  const prev = redirects.get(key);
  if (prev === undefined) return;
  redirects.delete(key);
  // The client followed prev's Location: prev is over, whether or not its body was read.
  if (!prev.channelDone) endRecord(prev, undefined);
}

// ---------------------------------------------------------------------------------------------
// The interceptor's link

export function linkInterceptor(rec: UndiciRecord, ic: InterceptCtx): void {
  rec.interceptCtx = ic;
  ic.record = rec;
  if (ic.requestBody !== undefined && rec.reqSrc < SRC_INTERCEPTOR) {
    rec.requestBody = ic.requestBody;
    rec.reqSrc = SRC_INTERCEPTOR;
  }
}
