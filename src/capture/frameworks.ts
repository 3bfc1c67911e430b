import { subscribe } from 'node:diagnostics_channel';
import Module from 'node:module';
import { sep } from 'node:path';
import { debugOnce } from '../log.js';

/**
 * The framework's own request/response objects for an incoming request, so that hooks get what
 * the app's code handles (Koa's ctx, Fastify's request/reply, Hapi's request) and the default user
 * and session lookups find what the framework's auth put there (SPEC §5).
 *
 * - Express (and NestJS on Express): req/res are Node's own objects, extended; nothing to find.
 * - Fastify: publishes each new instance on `fastify.initialization`; the agent adds an onRequest
 *   hook to it that leaves { request, reply } on the raw request (so 404s and requests that auth
 *   hooks turn away are seen too). Instances made before the agent was enabled are reached
 *   through `tracing:fastify.request.handler`, published before a route handler runs.
 * - Koa: keeps ctx to itself. `Application.prototype.createContext` is wrapped in every Koa copy
 *   already loaded when a server sees its first request (found in Node's module cache, where
 *   `import Koa from 'koa'` puts it too, since Koa is CommonJS); the wrapper leaves ctx on req.
 * - Hapi: `Request.generate` is wrapped the same way; it leaves Hapi's request on req.
 * The references are symbol-keyed: the app sees no new property.
 */
const KOA_CONTEXT = Symbol.for('moesif.koaContext');
const HAPI_REQUEST = Symbol.for('moesif.hapiRequest');
const FASTIFY_STORE = Symbol.for('moesif.fastifyHandler');
const WRAPPED = Symbol.for('moesif.frameworkWrapped');

export interface FrameworkView {
  /** What hooks get as (req, res). */
  req: any;
  res: any;
  /** The framework's authenticated user object, if any. */
  user: unknown;
  /** The framework's session id, if any. */
  session: unknown;
}

let installed = false;

export function installFrameworkHooks(): void {
  if (installed) return;
  installed = true;
  subscribe('fastify.initialization', onFastifyInstance);
  subscribe('tracing:fastify.request.handler:start', onFastifyHandler);
}

function onFastifyInstance(message: unknown): void {
  try {
    const fastify = (message as { fastify?: any }).fastify;
    if (!fastify || typeof fastify.addHook !== 'function') return;
    fastify.addHook('onRequest', function moesifOnRequest(request: any, reply: any, done: () => void) {
      try {
        const raw = request.raw;
        if (raw && typeof raw === 'object') raw[FASTIFY_STORE] = { request, reply };
      } catch {
        /* never reach the app */
      }
      done();
    });
  } catch (err) {
    debugOnce('frameworks:fastify', `cannot add the Fastify onRequest hook: ${(err as Error).message}`);
  }
}

function onFastifyHandler(message: unknown): void {
  try {
    const raw = (message as { request?: { raw?: any } }).request?.raw;
    if (raw && typeof raw === 'object' && raw[FASTIFY_STORE] === undefined) raw[FASTIFY_STORE] = message;
  } catch {
    /* never reach the app */
  }
}

/**
 * Wraps Koa and Hapi entry points in every copy already loaded. Called once per server, at its
 * first request: a framework serving a request has been loaded by then.
 */
export function wrapLoadedFrameworks(): void {
  try {
    const cache = (Module as unknown as { _cache?: Record<string, { exports?: any } | undefined> })._cache;
    if (!cache) return;
    const application = `${sep}lib${sep}application.js`;
    const request = `${sep}lib${sep}request.js`;
    for (const filename of Object.keys(cache)) {
      if (filename.endsWith(application)) wrapKoa(cache[filename]?.exports);
      else if (filename.endsWith(request)) wrapHapi(cache[filename]?.exports);
    }
  } catch (err) {
    debugOnce('frameworks', `framework lookup failed: ${(err as Error).message}`);
  }
}

function wrapKoa(Application: any): void {
  const proto = typeof Application === 'function' ? Application.prototype : undefined;
  if (!proto || typeof proto.createContext !== 'function' || typeof proto.callback !== 'function' || proto[WRAPPED]) return;
  const original = proto.createContext;
  proto.createContext = function createContext(this: unknown, req: any) {
    const ctx = original.apply(this, arguments);
    try {
      if (req && typeof req === 'object') req[KOA_CONTEXT] = ctx;
    } catch {
      /* a frozen req: no ctx, nothing else lost */
    }
    return ctx;
  };
  Object.defineProperty(proto, WRAPPED, { value: true });
}

function wrapHapi(Request: any): void {
  if (typeof Request !== 'function' || typeof Request.generate !== 'function' || !Array.isArray(Request.reserved) || Request[WRAPPED]) return;
  const original = Request.generate;
  Request.generate = function generate(this: unknown, _server: unknown, req: any) {
    const request = original.apply(this, arguments);
    try {
      if (req && typeof req === 'object') req[HAPI_REQUEST] = request;
    } catch {
      /* as above */
    }
    return request;
  };
  Object.defineProperty(Request, WRAPPED, { value: true });
}

/** The framework's view of a request; Node's own objects (with Express's additions) otherwise. */
export function frameworkView(req: any, res: any): FrameworkView {
  const ctx = req[KOA_CONTEXT];
  if (ctx !== undefined) {
    const state = ctx.state;
    return { req: ctx, res: ctx.response, user: state && typeof state === 'object' ? state.user : undefined, session: undefined };
  }
  const fastify = req[FASTIFY_STORE];
  if (fastify !== undefined) {
    const request = fastify.request;
    return { req: request, res: fastify.reply, user: request.user, session: request.session?.sessionId ?? request.session?.id };
  }
  const hapi = req[HAPI_REQUEST];
  if (hapi !== undefined) {
    const auth = hapi.auth;
    return { req: hapi, res, user: auth?.isAuthenticated ? auth.credentials : undefined, session: hapi.yar?.id };
  }
  return { req, res, user: req.user, session: req.sessionID ?? req.session?.id };
}

/** `user.id ?? user.sub` of a framework's user object. */
export function userIdOf(user: unknown): unknown {
  if (!user || typeof user !== 'object') return undefined;
  const u = user as Record<string, unknown>;
  return u.id ?? u.sub;
}
