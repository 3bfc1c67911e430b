import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { AsyncResource } from 'node:async_hooks';
import { clientIp } from '../event/client-ip.js';
import { asId, isThenable, runHook } from '../event/hooks.js';
import { userFromAuthorization } from '../event/identify.js';
import { frameworkView, userIdOf } from '../capture/frameworks.js';
import { debugOnce } from '../log.js';
import type { ResolvedOptions } from '../options/types.js';
import { BODY, NO, STATUS, YES, cohortCandidates, decide, matchRule, type Candidate, type Subject, type Verdict } from './match.js';
import type { RuleSet } from './rules.js';
import { BodyHold, hasBody, parseBody, type HeldBody } from './request-body.js';

/**
 * Enforcement: runs before the app's handler sees an incoming request (node:http and https
 * servers, and so every framework on them; node:http2 servers' compatibility API too, whose
 * request and response objects offer the same calls).
 *
 * Node publishes `http.server.request.start` and then calls `server.emit('request', req, res)`
 * (or 'checkContinue'); answering in the channel would not stop the handler. So, once the
 * collector has rules, `emit` of http.Server.prototype and https.Server.prototype is wrapped:
 * for a request some rule could apply to, the gate decides first and either answers (blocked:
 * the app's 'request' listeners never run) or emits as Node would have. The wrapper is installed
 * the first time rules arrive, never before; with no rules in force it costs one boolean check
 * per server event.
 *
 * Per request, in order, each step only when needed:
 * 1. Every rule's conditions are tested against what is known (verb, route, headers, ip, uri).
 *    A request no rule could apply to goes on at once: no identification, no body.
 * 2. User id, company id — only if a user (company) rule is still possible — through the same
 *    hooks as the event: identifyUser(req, res), then req.user (id ?? sub), then the
 *    Authorization header (JWT claim / Basic user); identifyCompany(req, res). Hooks get Node's
 *    req/res: the framework's objects (Koa ctx, Fastify request) do not exist yet. A hook that
 *    returns a promise is awaited, at most 1 s.
 * 3. The body — only if a still-possible rule tests request.body.* (see request-body.ts).
 * 4. The decision (match.ts: priority regex < company < user, headers merged, the last blocking
 *    rule decides). Blocked: the rule's status, merged headers and JSON body are sent, and
 *    `res[Symbol.for('moesif.blockedBy')]` holds the rule's _id for the event's blocked_by. Not
 *    blocked: the merged headers are set on the response (the app may still change them) and
 *    the request is emitted. Rules that test response.status add their headers when the app
 *    writes its status (they cannot block: the handler has run by then).
 * When a step waits (a promise, the body), the request is emitted later in the async context it
 * arrived in; a throw from the app's handler is still an uncaught exception, as without the agent.
 */
export const BLOCKED_BY = Symbol.for('moesif.blockedBy');
const IGNORE_SERVER = Symbol.for('moesif.ignoreServer');
const PATCHED = Symbol.for('moesif.governanceEmit');
const HOOK_TIMEOUT_MS = 1_000;

export interface GateDeps {
  /** Options in force; undefined while capture is off (the gate lets everything through). */
  options(): ResolvedOptions | undefined;
  userRulesFor(userId: string): unknown;
  companyRulesFor(companyId: string): unknown;
}

let gate: Gate | undefined;
/** The one check every server event pays once the wrapper is installed. */
let active = false;

export class Gate {
  private rules: RuleSet | undefined;
  private authKey = '';
  private authHeaders: string[] = [];

  constructor(private readonly deps: GateDeps) {}

  /** Rules in force (undefined or empty: nothing is enforced). Installs the wrapper on first rules. */
  setRules(rules: RuleSet | undefined): void {
    this.rules = rules && rules.all.length ? rules : undefined;
    if (this.rules) {
      gate = this;
      installEmitWrapper();
    }
    if (gate === this) active = this.rules !== undefined;
  }

  /** True when the gate took the request over (answered it, or will emit it later). */
  intercept(server: unknown, event: string, req: IncomingMessage, res: ServerResponse, original: Function, args: IArguments): boolean {
    const rules = this.rules;
    const options = this.deps.options();
    if (rules === undefined || options === undefined || res === undefined || req === undefined) return false;
    const subject = subjectOf(req, rules);
    const all = rules.all;
    const verdicts = new Uint8Array(all.length);
    let possible = false;
    let needUser = false;
    let needCompany = false;
    let needBody = false;
    for (let i = 0; i < all.length; i++) {
      const verdict = matchRule(all[i]!, subject, false, false);
      verdicts[i] = verdict;
      if (verdict !== NO) {
        possible = true;
        if (verdict === BODY) needBody = true;
        if (all[i]!.type === 'user') needUser = true;
        else if (all[i]!.type === 'company') needCompany = true;
      }
    }
    if (!possible) return false;
    // The body is held from now on (before identification, which may wait), released at once
    // if no rule turns out to need it.
    const hold = needBody && event === 'request' && hasBody(req) ? new BodyHold(req, options.requestMaxBodySize) : undefined;
    return new Flow(this, this.deps, rules, options, server, event, req, res, original, args, subject, verdicts, hold).start(needUser, needCompany);
  }

  headersFor(options: ResolvedOptions): string[] {
    if (options.authorizationHeaderName !== this.authKey) {
      this.authKey = options.authorizationHeaderName;
      this.authHeaders = options.authorizationHeaderName.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    }
    return this.authHeaders;
  }
}

/** One request's way through the gate. */
class Flow {
  private deferred = false;
  private emitLater: (() => void) | undefined;

  constructor(
    private readonly gate: Gate,
    private readonly deps: GateDeps,
    private readonly rules: RuleSet,
    private readonly options: ResolvedOptions,
    private readonly server: unknown,
    private readonly event: string,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly original: Function,
    private readonly args: IArguments,
    private readonly subject: Subject,
    private readonly verdicts: Uint8Array,
    private readonly hold: BodyHold | undefined,
  ) {}

  start(needUser: boolean, needCompany: boolean): boolean {
    let user: unknown;
    let company: unknown;
    try {
      const view = needUser || needCompany ? frameworkView(this.req, this.res) : { req: this.req, res: this.res, user: undefined };
      if (needUser) user = this.options.identifyUser ? runHook('identifyUser', this.options.identifyUser, view.req, view.res) : undefined;
      if (needCompany) company = this.options.identifyCompany ? runHook('identifyCompany', this.options.identifyCompany, view.req, view.res) : undefined;
      if (isThenable(user) || isThenable(company)) {
        this.defer();
        Promise.all([bounded(user), bounded(company)]).then(
          AsyncResource.bind(([u, c]: [unknown, unknown]) => this.guard(() => this.identified(needUser, u, view.user, needCompany, c))),
          AsyncResource.bind(() => this.guard(() => this.identified(needUser, undefined, view.user, needCompany, undefined))),
        );
        return true;
      }
      return this.identified(needUser, user, view.user, needCompany, company);
    } catch (err) {
      return this.failed(err);
    }
  }

  private identified(needUser: boolean, hookUser: unknown, frameworkUser: unknown, needCompany: boolean, hookCompany: unknown): boolean {
    const rules = this.rules;
    const candidates: Candidate[] = [];
    for (const rule of rules.regex) {
      const verdict = this.verdicts[rule.index] as Verdict;
      if (verdict !== NO) candidates.push({ rule, values: undefined, verdict });
    }
    if (needCompany) {
      const companyId = asId('identifyCompany', hookCompany);
      cohortCandidates(rules.company, companyId === undefined ? undefined : this.deps.companyRulesFor(companyId), companyId, this.verdicts, candidates);
    }
    if (needUser) {
      const userId =
        asId('identifyUser', hookUser) ??
        asId('identifyUser', userIdOf(frameworkUser)) ??
        userFromAuthorization(this.req.headers as Record<string, string | string[]>, this.gate.headersFor(this.options), this.options.authorizationUserIdField);
      cohortCandidates(rules.user, userId === undefined ? undefined : this.deps.userRulesFor(userId), userId, this.verdicts, candidates);
    }
    const hold = this.hold;
    if (!candidates.some((c) => c.verdict === BODY)) {
      hold?.cancel();
      return candidates.length ? this.decide(candidates) : this.pass();
    }
    if (hold === undefined) return this.withBody(candidates, { bytes: undefined, complete: true }); // no body: GET, checkContinue
    this.defer();
    hold.whenDone(AsyncResource.bind((body: HeldBody) => this.guard(() => this.withBody(candidates, body))));
    return true;
  }

  private withBody(candidates: Candidate[], body: HeldBody): boolean {
    this.subject.request.body = body.complete ? parseBody(body.bytes, this.req, this.options.requestMaxBodySize) : undefined;
    for (const c of candidates) if (c.verdict === BODY) c.verdict = matchRule(c.rule, this.subject, true, false);
    return this.decide(candidates);
  }

  private decide(candidates: Candidate[]): boolean {
    const applying: Candidate[] = [];
    let later: Candidate[] | undefined;
    for (const c of candidates) {
      if (c.verdict === YES) applying.push(c);
      else if (c.verdict === STATUS) (later ??= []).push(c);
    }
    const res = this.res;
    if (applying.length) {
      const decision = decide(applying);
      if (decision.blockedBy) {
        if (res.headersSent || res.writableEnded) return this.pass();
        (res as any)[BLOCKED_BY] = decision.blockedBy.id;
        res.statusCode = decision.status;
        setHeaders(res, decision.headers);
        if (decision.body !== undefined) {
          if (!res.hasHeader('content-type')) res.setHeader('Content-Type', 'application/json');
          res.setHeader('Content-Length', Buffer.byteLength(decision.body));
        }
        res.end(decision.body);
        return true;
      }
      setHeaders(res, decision.headers);
    }
    if (later) headersAtWriteHead(res, later, this.subject);
    return this.pass();
  }

  /** From here on the request is emitted later (if at all), in the async context it arrived in. */
  private defer(): void {
    if (this.deferred) return;
    this.deferred = true;
    const { original, server, args } = this;
    this.emitLater = AsyncResource.bind(() => {
      original.apply(server, args);
    });
  }

  /** Lets the request through: now (the wrapper emits) or, once deferred, on the next tick. */
  private pass(): boolean {
    if (!this.deferred) return false;
    if (this.emitLater === undefined) return true; // already on its way
    const emitLater = this.emitLater;
    this.emitLater = undefined;
    // A throw from the app's handler surfaces as an uncaught exception, as it would without us.
    process.nextTick(emitLater);
    return true;
  }

  private guard(step: () => boolean): void {
    try {
      step();
    } catch (err) {
      this.failed(err);
    }
  }

  /** A fault of ours never reaches the app: the request goes on as if there were no rules. */
  private failed(err: unknown): boolean {
    this.hold?.cancel();
    debugOnce('governance:gate', `governance check failed (${(err as Error)?.message ?? err}); the request goes on unchecked`);
    if (this.res.headersSent || this.res.writableEnded) return true; // answered: never emit as well
    return this.pass();
  }
}

function subjectOf(req: IncomingMessage, rules: RuleSet): Subject {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  // route computed once per request (conditionField reads it), not once per condition
  const route = url.charCodeAt(0) !== 47 ? undefined : query === -1 ? url : url.slice(0, query);
  const request: Record<string, unknown> = { time: '', verb: req.method ?? 'GET', uri: url, route, headers: req.headers };
  if (rules.needsIp) request.ip_address = request.ip = clientIp(req.headers as Record<string, string | string[]>, req.socket?.remoteAddress) ?? '';
  if (rules.needsUri) {
    const forwarded = req.headers['x-forwarded-proto'];
    const scheme = typeof forwarded === 'string' && forwarded !== '' ? forwarded.split(',')[0]!.trim() : (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
    request.uri = url.charCodeAt(0) === 47 ? `${scheme}://${req.headers.host ?? req.headers[':authority'] ?? 'localhost'}${url}` : url;
  }
  return { request, direction: 'Incoming' } as unknown as Subject;
}

function setHeaders(res: ServerResponse, headers: Array<[string, string | string[]]>): void {
  for (const [name, value] of headers) {
    try {
      res.setHeader(name, value);
    } catch {
      debugOnce(`governance:header:${name}`, `governance rule header ${JSON.stringify(name)} is not a valid header; left out`);
    }
  }
}

/**
 * Rules that test response.status: decided when the app writes its status line (explicitly or
 * implicitly: Node's own implicit header goes through writeHead too); they add headers only.
 */
function headersAtWriteHead(res: ServerResponse, later: Candidate[], subject: Subject): void {
  const previous = Object.getOwnPropertyDescriptor(res, 'writeHead');
  Object.defineProperty(res, 'writeHead', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function writeHead(this: ServerResponse, statusCode: unknown) {
      if (previous) Object.defineProperty(res, 'writeHead', previous);
      else delete (res as { writeHead?: unknown }).writeHead;
      try {
        subject.response = { time: '', status: typeof statusCode === 'number' ? statusCode : this.statusCode, headers: {} };
        const applying = later.filter((c) => matchRule(c.rule, subject, true, true) === YES);
        if (applying.length && !this.headersSent) setHeaders(this, decide(applying).headers);
      } catch (err) {
        debugOnce('governance:status', `governance check at response status failed: ${(err as Error)?.message ?? err}`);
      }
      return (this.writeHead as Function).apply(this, arguments);
    },
  });
}

function bounded(value: unknown): Promise<unknown> {
  if (!isThenable(value)) return Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(value).catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, HOOK_TIMEOUT_MS, undefined);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Wraps `emit` of http.Server.prototype and https.Server.prototype, once per process (a global
 * marker on each prototype, so two copies of the package never stack). What was there (Node's
 * inherited EventEmitter.prototype.emit, or another tool's wrapper) is called for everything the
 * gate does not take over.
 */
/**
 * HTTP/2 servers' prototypes (their classes are not exported): the compatibility API emits
 * 'request' on them. node:http2 is taken only now that rules exist (loading it costs several ms),
 * through getBuiltinModule (Node 20.16+): on older Node 20 releases HTTP/2 is not gated.
 */
function http2ServerPrototypes(): object[] {
  try {
    const getBuiltinModule = (process as unknown as { getBuiltinModule?: (id: string) => typeof import('node:http2') }).getBuiltinModule;
    if (typeof getBuiltinModule !== 'function') return [];
    const http2 = getBuiltinModule('node:http2');
    return [Object.getPrototypeOf(http2.createServer()), Object.getPrototypeOf(http2.createSecureServer({}))];
  } catch (err) {
    debugOnce('governance:http2', `governance rules cannot apply to HTTP/2 servers: ${(err as Error).message}`);
    return [];
  }
}

function installEmitWrapper(): void {
  for (const proto of [http.Server.prototype, https.Server.prototype, ...http2ServerPrototypes()] as any[]) {
    if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) continue;
    const original: Function = proto.emit;
    Object.defineProperty(proto, PATCHED, { value: true });
    Object.defineProperty(proto, 'emit', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function emit(this: any, event: string | symbol, req?: any, res?: any) {
        if (active && (event === 'request' || event === 'checkContinue') && this[IGNORE_SERVER] !== true && gate !== undefined) {
          try {
            if (gate.intercept(this, event, req, res, original, arguments)) return true;
          } catch (err) {
            debugOnce('governance:gate', `governance check failed (${(err as Error)?.message ?? err}); the request goes on unchecked`);
          }
        }
        return original.apply(this, arguments);
      },
    });
  }
}
