import { subscribe } from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import shimmer from 'shimmer';
import type { CapturedBody, Exchange } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody } from './body-tap.js';
import { installFrameworkHooks, wrapLoadedFrameworks } from './frameworks.js';
import { incomingHookFacts } from './incoming-hooks.js';
import type { CaptureSink } from './sink.js';
import { installStreamTaps, TAP, type BodyTarget } from './stream-taps.js';

/**
 * Incoming requests of every node:http/https server (and so Express, Fastify, Koa, Hapi, Nest…),
 * from Node's own diagnostics channels: request start opens the capture, response finish closes
 * it, and the response's close catches requests that never finish (client gone). Each subscriber
 * is contained: a throw in a channel subscriber would crash the app.
 *
 * The request path only records references and times; hooks run at finish with the framework's
 * own objects, and the event is assembled later, in the batcher.
 */
const STATE = Symbol.for('moesif.incoming');
/** Left on the response by governance (src/governance/gate.ts) when a rule blocked the request. */
export const BLOCKED_BY = Symbol.for('moesif.blockedBy');
export const TRANSACTION_HEADER = 'x-moesif-transaction-id';
/** A server carrying this symbol (true) is not captured: the local collector marks its own. */
export const IGNORE_SERVER = Symbol.for('moesif.ignoreServer');
/** Status recorded when the client went away before the response finished (as nginx logs it). */
export const CLIENT_CLOSED_STATUS = 499;

interface IncomingState {
  startTime: number;
  /** req.url as it arrived, before routers rewrite it. */
  url: string;
  /** The peer, read at start: after an abort the socket no longer knows it. */
  remoteAddress: string | undefined;
  requestTap: BodyTarget | undefined;
  responseTap: BodyTarget | undefined;
  transactionId: string | undefined;
  done: boolean;
}

let sink: CaptureSink | undefined;
let installed = false;
/** Servers that have had a request: frameworks are looked for once per server. */
const seenServers = new WeakSet<object>();

export function installIncomingCapture(target: CaptureSink): void {
  sink = target;
  if (installed) return;
  installed = true;
  installStreamTaps();
  installFrameworkHooks();
  installTransactionHeader();
  subscribe('http.server.request.start', onRequestStart);
  subscribe('http.server.response.finish', onResponseFinish);
}

/** A transaction id taken from the request must be a plain token to be echoed in the response. */
const SAFE_ID = /^[\x21-\x7e]{1,256}$/;
const TRANSACTION_NAME = 'X-Moesif-Transaction-Id';

/** The request's own transaction id when it is a plain token, else a fresh one. */
export function transactionIdFor(given: unknown): string {
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

/** Node's own header map of an OutgoingMessage (found on the first response); null: not usable. */
let outHeaders: symbol | null | undefined;

/**
 * res.setHeader without its validation (name and value are known-good here): writes the entry
 * into Node's header map the way setHeader does, which saves a microsecond or so per request.
 * Checked once against getHeader(); any surprise and it is res.setHeader from then on.
 */
function setTransactionHeader(res: ServerResponse, id: string): void {
  const r = res as any;
  if (outHeaders === undefined) {
    outHeaders = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders') ?? null;
    if (outHeaders !== null) {
      const map = r[outHeaders];
      if (map === null || (typeof map === 'object' && !(TRANSACTION_HEADER in map))) {
        putHeader(r, outHeaders, id);
        if (res.getHeader(TRANSACTION_HEADER) === id && res.getHeaderNames().includes(TRANSACTION_HEADER)) return;
      }
      outHeaders = null;
    }
  }
  if (outHeaders !== null && !r._header) {
    putHeader(r, outHeaders, id);
    return;
  }
  res.setHeader(TRANSACTION_NAME, id);
}

function putHeader(r: any, key: symbol, id: string): void {
  let map = r[key];
  if (map === null || map === undefined) r[key] = map = Object.create(null);
  map[TRANSACTION_HEADER] = [TRANSACTION_NAME, id];
}

/**
 * The transaction id is set at request start (so the app can read it) and again as the headers
 * are written, if it is gone by then: error handlers (Koa's, for one) clear every header first.
 * Every response's headers pass through writeHead (explicit, or implicit from write/end).
 */
function installTransactionHeader(): void {
  const marker = Symbol.for('moesif.writeHead');
  const proto = ServerResponse.prototype as any;
  if (proto[marker]) return;
  Object.defineProperty(proto, marker, { value: true });
  shimmer.wrap(proto, 'writeHead', (original: (...args: any[]) => any) =>
    function writeHead(this: any) {
      const state: IncomingState | undefined = this[STATE];
      if (state !== undefined && state.transactionId !== undefined && !state.done) {
        try {
          if (!this.headersSent && this.getHeader(TRANSACTION_HEADER) === undefined) this.setHeader(TRANSACTION_NAME, state.transactionId);
        } catch {
          /* never reach the app */
        }
      }
      return original.apply(this, arguments as any);
    },
  );
}

function onRequestStart(message: unknown): void {
  try {
    const options = sink?.options;
    if (!options) return;
    const { request: req, response: res, server } = message as { request: IncomingMessage; response: ServerResponse; server?: any };
    if (server) {
      if (server[IGNORE_SERVER] === true) return;
      if (!seenServers.has(server)) {
        seenServers.add(server);
        wrapLoadedFrameworks();
      }
    }
    let requestTap: BodyTarget | undefined;
    let responseTap: BodyTarget | undefined;
    if (options.logBody) {
      requestTap = { body: newBody(), limit: options.requestMaxBodySize, ending: false };
      responseTap = { body: newBody(), limit: options.responseMaxBodySize, ending: false };
      (req as any)[TAP] = requestTap;
      (res as any)[TAP] = responseTap;
    }
    let transactionId: string | undefined;
    if (!options.disableTransactionId) {
      transactionId = transactionIdFor(req.headers[TRANSACTION_HEADER]);
      setTransactionHeader(res, transactionId);
    }
    const state: IncomingState = {
      startTime: Date.now(),
      url: req.url ?? '/',
      remoteAddress: req.socket?.remoteAddress,
      requestTap,
      responseTap,
      transactionId,
      done: false,
    };
    (res as any)[STATE] = state;
    res.on('close', onResponseClose);
  } catch (err) {
    debugOnce('incoming:start', `incoming capture failed at request start: ${(err as Error).message}`);
  }
}

function onResponseFinish(message: unknown): void {
  try {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    finish(request, response, false);
  } catch (err) {
    debugOnce('incoming:finish', `incoming capture failed at response finish: ${(err as Error).message}`);
  }
}

function onResponseClose(this: ServerResponse): void {
  try {
    if (!this.writableFinished) finish(this.req, this, true);
  } catch (err) {
    debugOnce('incoming:close', `incoming capture failed at response close: ${(err as Error).message}`);
  }
}

function finish(req: IncomingMessage, res: ServerResponse, aborted: boolean): void {
  const state: IncomingState | undefined = (res as any)[STATE];
  if (!state || state.done) return;
  state.done = true;
  const endTime = Date.now();
  (res as any)[TAP] = undefined;
  // A response sent before the request body fully arrived, while the app still reads it (piping
  // it somewhere, say): the tap sees the rest as it comes, so the event waits for the request's
  // end. An app that never read it: Node drops the rest unread right after this (req._dump(),
  // and its parser pushes nothing more), so the event holds what arrived before the response.
  const r = req as any;
  const willDump = !r._consuming && !r._readableState?.resumeScheduled;
  if (!aborted && state.requestTap !== undefined && !req.complete && !req.destroyed && !willDump) {
    let recorded = false;
    const later = () => {
      if (recorded) return;
      recorded = true;
      try {
        record(req, res, state, endTime, false);
      } catch (err) {
        debugOnce('incoming:finish', `incoming capture failed at request end: ${(err as Error).message}`);
      }
    };
    req.once('end', later);
    req.once('close', later);
    return;
  }
  record(req, res, state, endTime, aborted);
}

function record(req: IncomingMessage, res: ServerResponse, state: IncomingState, endTime: number, aborted: boolean): void {
  (req as any)[TAP] = undefined;
  const options = sink?.options;
  if (!options) return;
  const facts = incomingHookFacts(options, req, res);
  if (facts === undefined) return;

  const headers = req.headers;
  const forwardedProto = headers['x-forwarded-proto'];
  const scheme =
    typeof forwardedProto === 'string' && forwardedProto !== ''
      ? forwardedProto.split(',')[0]!.trim()
      : (req.socket as any)?.encrypted
        ? 'https'
        : 'http';
  const host = headers.host ?? (headers[':authority'] as string | undefined) ?? 'localhost';

  let requestHeaders: string[] = req.rawHeaders;
  if (state.transactionId && headers[TRANSACTION_HEADER] === undefined) {
    requestHeaders = requestHeaders.concat('x-moesif-transaction-id', state.transactionId);
  }
  const rejected = aborted ? parserRejection(req, res) : undefined;
  const exchange: Exchange = {
    direction: 'Incoming',
    startTime: state.startTime,
    endTime,
    method: req.method ?? 'GET',
    url: `${scheme}://${host}${state.url}`,
    requestHeaders,
    requestBody: state.requestTap?.body,
    status: rejected ? rejected.status : aborted ? CLIENT_CLOSED_STATUS : res.statusCode,
    // The header block as written to the wire holds writeHead()'s headers too.
    responseHeaders: rejected?.head ?? (((res as any)._header as string | null) || (res.getHeaders() as Exchange['responseHeaders'])),
    responseBody: state.responseTap?.body,
    remoteAddress: state.remoteAddress,
    // Copied one by one: a spread here costs ~80 ns per request (measured).
    userId: facts.userId,
    companyId: facts.companyId,
    sessionToken: facts.sessionToken,
    metadata: facts.metadata,
    apiVersion: facts.apiVersion,
    blockedBy: (res as any)[BLOCKED_BY],
    requestLimit: options.requestMaxBodySize,
    responseLimit: options.responseMaxBodySize,
  };
  sink!.record(exchange);
}

/**
 * The answer Node itself wrote when the request turned out malformed after the app had it (bad
 * chunk framing, a body cut short by EOF): Node's default clientError handling writes a bare 400
 * (431, 413) on the socket and closes it, and the app's response never finishes. Without this the
 * event would say 499, as if the client had gone away. Only when Node's default handling ran: no
 * 'clientError' listener, nothing of the app's response written yet.
 */
function parserRejection(req: IncomingMessage, res: ServerResponse): { status: number; head: string } | undefined {
  const socket = req.socket as any;
  const code: unknown = socket?.errored?.code;
  if (typeof code !== 'string' || !code.startsWith('HPE_') || res.headersSent) return undefined;
  if (typeof socket.server?.listenerCount === 'function' && socket.server.listenerCount('clientError') > 0) return undefined;
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
  return { status, head: `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n` };
}
