import { subscribe } from 'node:diagnostics_channel';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import shimmer from 'shimmer';
import type { CapturedBody, RawHeaders } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody } from './body-tap.js';
import { activeSpan, emitOutgoing, outgoingOptions, type OutgoingRecord, type SpanContextLike } from './outgoing-capture.js';
import { installStreamTaps, TAP, type BodyTarget } from './stream-taps.js';

/**
 * node:http/https client requests, and so every library built on them (axios, got, node-fetch,
 * superagent, request…), whatever way they were imported (ESM named imports, http.get, https):
 *
 * - start: `http.client.request.created` (published in the ClientRequest constructor, Node ≥ 22.12),
 *   else a wrap of http.Agent.prototype.addRequest, which the constructor calls (Node 20). Both run
 *   before the app can write a byte, so the request body is seen through the OutgoingMessage
 *   write/end taps. `http.client.request.start` is published only once the request is ended, too
 *   late for the body; it is the fallback for requests that came by neither way (a
 *   createConnection option without an agent): those are captured without a request body.
 * - response: `http.client.response.finish` (published when the response HEADERS arrive) tags the
 *   IncomingMessage; its body is seen through the parser's push() tap, never a 'data' listener of
 *   ours, and the parser's push(null) — the last byte received, read by the app or not — ends it.
 * - failure: `http.client.request.error` (connection refused, reset, timeout, abort), and the
 *   request's 'close' for anything else (a response cut short, a destroy() without error).
 *
 * Got publishes channels of its own (got:*); they are not subscribed: got's requests are seen here.
 */
const STATE = Symbol.for('moesif.outgoing.http');

interface HttpState extends OutgoingRecord {
  req: ClientRequest;
  res: IncomingMessage | undefined;
  done: boolean;
}

let createdSeen = false;
let addRequestWrapped = false;

export function installHttpClientCapture(): void {
  installStreamTaps();
  if (hasCreatedChannel()) subscribe('http.client.request.created', onCreated);
  else wrapAddRequest();
  subscribe('http.client.request.start', onStart);
  subscribe('http.client.response.finish', onResponse);
  subscribe('http.client.request.error', onError);
}

/** `http.client.request.created` came with Node 23.2 and 22.12. */
function hasCreatedChannel(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 23 || (major === 23 && minor >= 2) || (major === 22 && minor >= 12);
}

function wrapAddRequest(): void {
  if (addRequestWrapped) return;
  addRequestWrapped = true;
  const proto = http.Agent.prototype as any;
  const marker = Symbol.for('moesif.addRequest');
  if (proto[marker]) return;
  Object.defineProperty(proto, marker, { value: true });
  shimmer.wrap(proto, 'addRequest', (original: (...args: any[]) => any) =>
    function addRequest(this: http.Agent, req: ClientRequest) {
      if (req != null && (req as any)[STATE] === undefined && outgoingOptions() !== undefined) begin(req);
      return original.apply(this, arguments as any);
    },
  );
}

function onCreated(message: unknown): void {
  createdSeen = true;
  const req = (message as { request: ClientRequest } | undefined)?.request;
  if (req === undefined || outgoingOptions() === undefined) return;
  begin(req);
}

function begin(req: ClientRequest, withBody = true): void {
  try {
    const options = outgoingOptions();
    if (options === undefined) return;
    let requestBody: CapturedBody | undefined;
    if (withBody && options.logBodyOutgoing) {
      requestBody = newBody();
      (req as any)[TAP] = { body: requestBody, limit: options.requestMaxBodySize } satisfies BodyTarget;
    }
    const state: HttpState = {
      startTime: Date.now(),
      endTime: 0,
      method: '',
      url: '',
      requestHeaders: undefined,
      requestBody,
      status: 0,
      responseHeaders: undefined,
      responseBody: undefined,
      error: undefined,
      trace: activeSpan() as SpanContextLike | undefined,
      traceparent: undefined,
      rawRequest: req,
      rawResponse: undefined,
      requestLimit: options.requestMaxBodySize,
      responseLimit: options.responseMaxBodySize,
      req,
      res: undefined,
      done: false,
    };
    (req as any)[STATE] = state;
    req.on('close', onRequestClose);
  } catch (err) {
    debugOnce('outgoing:http:start', `outgoing capture failed at request start: ${(err as Error)?.message}`);
  }
}

function onStart(message: unknown): void {
  try {
    const req = (message as { request: ClientRequest }).request as any;
    if (req[STATE] !== undefined || outgoingOptions() === undefined) return;
    // Neither the created channel nor addRequest saw this request: its body is already written.
    begin(req, false);
    // The created channel should have run: this Node has none after all, so wrap addRequest.
    if (!createdSeen && req.agent instanceof http.Agent) wrapAddRequest();
  } catch (err) {
    debugOnce('outgoing:http:start', `outgoing capture failed at request start: ${(err as Error)?.message}`);
  }
}

function onResponse(message: unknown): void {
  try {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const state: HttpState | undefined = (request as any)[STATE];
    if (state === undefined || state.done) return;
    state.res = response;
    state.status = response.statusCode ?? 0;
    state.rawResponse = response;
    const options = outgoingOptions();
    // Without bodies the tap still tells when the last byte arrives; a zero limit keeps nothing.
    const body = newBody();
    if (options?.logBodyOutgoing) state.responseBody = body;
    (response as any)[TAP] = { body, limit: state.responseBody ? state.responseLimit : 0, onEnd: onResponseEnd } satisfies BodyTarget;
  } catch (err) {
    debugOnce('outgoing:http:response', `outgoing capture failed at response start: ${(err as Error)?.message}`);
  }
}

/** The parser pushed the end of the response body: the exchange is complete. */
function onResponseEnd(res: IncomingMessage): void {
  try {
    const req = (res as any).req as ClientRequest | undefined;
    const state: HttpState | undefined = req && (req as any)[STATE];
    if (state !== undefined && state.res === res) finish(state);
  } catch (err) {
    debugOnce('outgoing:http:end', `outgoing capture failed at response end: ${(err as Error)?.message}`);
  }
}

function onError(message: unknown): void {
  try {
    const { request, error } = message as { request: ClientRequest; error: unknown };
    const state: HttpState | undefined = (request as any)[STATE];
    if (state === undefined || state.done) return;
    state.error = error ?? 'request failed';
    finish(state);
  } catch (err) {
    debugOnce('outgoing:http:error', `outgoing capture failed at request error: ${(err as Error)?.message}`);
  }
}

function onRequestClose(this: ClientRequest): void {
  try {
    const state: HttpState | undefined = (this as any)[STATE];
    if (state === undefined || state.done) return;
    const res = state.res;
    if (res === undefined) {
      // An upgrade or CONNECT hands the socket over: not an HTTP exchange we record.
      if ((this as any).upgradeOrConnect) return;
      state.error = 'the request closed before a response arrived';
    } else if (!res.complete && !isRedirect(res)) {
      state.error = 'the response closed before its last byte';
    }
    finish(state);
  } catch (err) {
    debugOnce('outgoing:http:close', `outgoing capture failed at request close: ${(err as Error)?.message}`);
  }
}

/** A redirect the client chose not to read to its end (it followed the Location instead). */
function isRedirect(res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 300 && status < 400 && res.headers.location !== undefined;
}

function finish(state: HttpState): void {
  state.done = true;
  state.endTime = Date.now();
  const req = state.req as ClientRequest & { _header?: string | null; protocol?: string; host?: string };
  (req as any)[TAP] = undefined;
  if (state.res !== undefined) (state.res as any)[TAP] = undefined;
  state.method = req.method;
  state.url = urlOf(req);
  state.requestHeaders = (req._header as RawHeaders | null | undefined) || (req.getHeaders() as RawHeaders);
  const traceparent = req.getHeader('traceparent');
  if (typeof traceparent === 'string') state.traceparent = traceparent;
  if (state.res !== undefined) state.responseHeaders = state.res.rawHeaders;
  emitOutgoing(state);
}

function urlOf(req: ClientRequest & { protocol?: string; host?: string }): string {
  const path = req.path;
  // A request through an HTTP proxy carries the absolute URL as its path.
  if (path.startsWith('http://') || path.startsWith('https://')) return path;
  let host = req.getHeader('host');
  if (Array.isArray(host)) host = host[0];
  if (typeof host !== 'string' || host === '') {
    host = req.host ?? 'localhost';
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  }
  return `${req.protocol ?? 'http:'}//${host}${path}`;
}
