import type { CapturedBody } from '../event/types.js';
import { newBody, tapChunk } from './body-tap.js';
import { hub, outgoingOptions, SRC_INTERCEPTOR } from './outgoing-capture.js';

/**
 * An undici interceptor users may compose onto their own dispatchers:
 *
 * ```js
 * import { Agent, interceptors, setGlobalDispatcher } from 'undici';
 * import { moesifInterceptor } from 'moesif';
 * setGlobalDispatcher(new Agent().compose(moesifInterceptor(), interceptors.redirect()));
 * ```
 *
 * Outgoing capture does not need it: every undici copy's requests are seen through its channels,
 * and their bodies through its bodyChunk channels (undici ≥ 7.11) or its request class (older
 * undici, Node 20/22's bundled fetch included). The interceptor observes the bodies at the
 * dispatcher's handler instead — a source ranked below the wire bytes, used only when those are
 * missing — for dispatchers that want the bodies pinned to their own handler chain.
 *
 * Put it first in compose(): the first interceptor is the one closest to the wire, so it sees
 * every hop and the raw (still compressed) bytes. It never changes what is sent or received: the
 * handler it adds passes every call on as it came (in the handler interface the dispatcher gave
 * it: undici 6's onConnect/onData…, or undici 7+'s onRequestStart/onResponseData…); an
 * async-iterable request body (what fetch sends) is passed through a generator that observes each
 * chunk as undici pulls it. The event itself comes from the undici channels, so a request is
 * never captured twice; with capture off the interceptor only passes calls on.
 */

type Dispatch = (opts: any, handler: any) => boolean;

/** What the channel side links to the undici request this dispatch creates. */
export interface InterceptCtx {
  record: { resSrc: number; responseBody: CapturedBody | undefined; channelDone: boolean } | undefined;
  requestBody: CapturedBody | undefined;
  responseLimit: number;
}

export function moesifInterceptor(): (dispatch: Dispatch) => Dispatch {
  return (dispatch: Dispatch): Dispatch =>
    function moesifDispatch(opts: any, handler: any): boolean {
      const options = outgoingOptions();
      if (options === undefined || !options.logBodyOutgoing || handler === null || typeof handler !== 'object') return dispatch(opts, handler);
      const ic: InterceptCtx = { record: undefined, requestBody: undefined, responseLimit: options.responseMaxBodySize };
      const body = opts?.body;
      if (body != null && typeof body === 'object' && typeof body[Symbol.asyncIterator] === 'function' && typeof body.pipe !== 'function') {
        const captured = (ic.requestBody = newBody());
        opts = { ...opts, body: tapIterable(body, captured, options.requestMaxBodySize) };
      }
      const wrapped = typeof handler.onRequestStart === 'function' ? new TapHandler(handler, ic) : new LegacyTapHandler(handler, ic);
      const outer = hub.interceptCtx;
      hub.interceptCtx = ic;
      try {
        return dispatch(opts, wrapped);
      } finally {
        hub.interceptCtx = outer;
      }
    };
}

async function* tapIterable(source: AsyncIterable<unknown>, captured: CapturedBody, limit: number): AsyncGenerator<unknown> {
  for await (const chunk of source) {
    tapChunk(captured, chunk, undefined, limit);
    yield chunk;
  }
}

function tapResponse(ic: InterceptCtx, chunk: unknown): void {
  const rec = ic.record;
  // Once undici's own channels gave this response's bytes, they are the record's (channel wins).
  if (rec === undefined || rec.resSrc > SRC_INTERCEPTOR || rec.channelDone) return;
  if (rec.resSrc !== SRC_INTERCEPTOR) {
    rec.responseBody = newBody();
    rec.resSrc = SRC_INTERCEPTOR;
  }
  try {
    tapChunk(rec.responseBody!, chunk, undefined, ic.responseLimit);
  } catch {
    /* never let an observation reach the request */
  }
}

/** The request was queued (a Pool at its connection limit): link at its sendHeaders instead. */
function linkLater(ic: InterceptCtx): void {
  if (ic.record !== undefined) return;
  hub.pendingConnect = ic;
  queueMicrotask(() => {
    if (hub.pendingConnect === ic) hub.pendingConnect = undefined;
  });
}

/** undici ≥ 7 handler interface (controller-based); every call is passed on unchanged. */
class TapHandler {
  constructor(
    private readonly handler: any,
    private readonly ic: InterceptCtx,
  ) {}
  onRequestStart(controller: unknown, context: unknown) {
    linkLater(this.ic);
    return this.handler.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: unknown, statusCode: number, headers: unknown, socket: unknown) {
    return this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(controller: unknown, statusCode: number, headers: unknown, statusMessage?: string) {
    return this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: unknown, chunk: unknown) {
    tapResponse(this.ic, chunk);
    return this.handler.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: unknown, trailers: unknown) {
    return this.handler.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: unknown, err: unknown) {
    return this.handler.onResponseError?.(controller, err);
  }
}

/** undici 6 handler interface, as undici's own DecoratorHandler forwards it. */
class LegacyTapHandler {
  constructor(
    private readonly handler: any,
    private readonly ic: InterceptCtx,
  ) {}
  onConnect(abort: unknown, context: unknown) {
    linkLater(this.ic);
    return this.handler.onConnect?.(abort, context);
  }
  onError(err: unknown) {
    return this.handler.onError?.(err);
  }
  onUpgrade(statusCode: number, headers: unknown, socket: unknown) {
    return this.handler.onUpgrade?.(statusCode, headers, socket);
  }
  onResponseStarted() {
    return this.handler.onResponseStarted?.();
  }
  onHeaders(statusCode: number, headers: unknown, resume: unknown, statusText?: string) {
    return this.handler.onHeaders?.(statusCode, headers, resume, statusText);
  }
  onData(chunk: unknown) {
    tapResponse(this.ic, chunk);
    return this.handler.onData?.(chunk);
  }
  onComplete(trailers: unknown) {
    return this.handler.onComplete?.(trailers);
  }
  onBodySent(chunk: unknown) {
    return this.handler.onBodySent?.(chunk);
  }
  onRequestSent() {
    return this.handler.onRequestSent?.();
  }
}
