import { subscribe } from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runHook } from '../event/hooks.js';
import type { CapturedBody, Exchange } from '../event/types.js';
import { debugOnce } from '../log.js';
import { newBody } from './body-tap.js';
import type { CaptureSink } from './sink.js';
import { installStreamTaps, TAP, type BodyTarget } from './stream-taps.js';

/**
 * Incoming requests of every node:http/https server (and so Express, Fastify, Koa, Nest…), from
 * Node's own diagnostics channels: request start opens the capture, response finish closes it,
 * and the response's close catches requests that never finish (client gone). Each subscriber is
 * contained: a throw in a channel subscriber would crash the app.
 */
const STATE = Symbol.for('moesif.incoming');
const TRANSACTION_HEADER = 'x-moesif-transaction-id';
/** A server carrying this symbol (true) is not captured: the local collector marks its own. */
export const IGNORE_SERVER = Symbol.for('moesif.ignoreServer');
/** Status recorded when the client went away before the response finished (as nginx logs it). */
export const CLIENT_CLOSED_STATUS = 499;

interface IncomingState {
  startTime: number;
  /** req.url as it arrived, before routers rewrite it. */
  url: string;
  requestBody: CapturedBody | undefined;
  responseBody: CapturedBody | undefined;
  transactionId: string | undefined;
  done: boolean;
}

let sink: CaptureSink | undefined;
let installed = false;

export function installIncomingCapture(target: CaptureSink): void {
  sink = target;
  if (installed) return;
  installed = true;
  installStreamTaps();
  subscribe('http.server.request.start', onRequestStart);
  subscribe('http.server.response.finish', onResponseFinish);
}

function onRequestStart(message: unknown): void {
  try {
    const options = sink?.options;
    if (!options) return;
    const { request: req, response: res, server } = message as { request: IncomingMessage; response: ServerResponse; server?: any };
    if (server?.[IGNORE_SERVER] === true) return;
    const state: IncomingState = {
      startTime: Date.now(),
      url: req.url ?? '/',
      requestBody: undefined,
      responseBody: undefined,
      transactionId: undefined,
      done: false,
    };
    if (options.logBody) {
      state.requestBody = newBody();
      state.responseBody = newBody();
      (req as any)[TAP] = { body: state.requestBody, limit: options.requestMaxBodySize } satisfies BodyTarget;
      (res as any)[TAP] = { body: state.responseBody, limit: options.responseMaxBodySize } satisfies BodyTarget;
    }
    if (!options.disableTransactionId) {
      const given = req.headers[TRANSACTION_HEADER];
      state.transactionId = typeof given === 'string' && given !== '' ? given : randomUUID();
      res.setHeader('X-Moesif-Transaction-Id', state.transactionId);
    }
    (res as any)[STATE] = state;
    res.once('close', onResponseClose);
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
  (req as any)[TAP] = undefined;
  (res as any)[TAP] = undefined;
  const options = sink?.options;
  if (!options) return;
  const r = req as IncomingMessage & Record<string, any>;
  const s = res as ServerResponse & Record<string, any>;
  if (runHook('skip', options.skip, r, s) === true) return;

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
  const user = r.user as Record<string, unknown> | undefined;
  const exchange: Exchange = {
    direction: 'Incoming',
    startTime: state.startTime,
    endTime: Date.now(),
    method: req.method ?? 'GET',
    url: `${scheme}://${host}${state.url}`,
    requestHeaders,
    requestBody: state.requestBody,
    status: aborted ? CLIENT_CLOSED_STATUS : res.statusCode,
    // The header block as written to the wire holds writeHead()'s headers too.
    responseHeaders: (s._header as string | null) || (res.getHeaders() as Exchange['responseHeaders']),
    responseBody: state.responseBody,
    remoteAddress: req.socket?.remoteAddress,
    userId: runHook('identifyUser', options.identifyUser, r, s) ?? (user && typeof user === 'object' ? (user.id ?? user.sub) : undefined),
    companyId: runHook('identifyCompany', options.identifyCompany, r, s),
    sessionToken: runHook('getSessionToken', options.getSessionToken, r, s) ?? r.sessionID ?? r.session?.id,
    metadata: runHook('getMetadata', options.getMetadata, r, s),
    apiVersion: runHook('getApiVersion', options.getApiVersion, r, s),
    requestLimit: options.requestMaxBodySize,
    responseLimit: options.responseMaxBodySize,
  };
  sink!.record(exchange);
}
