import type { IncomingHttpHeaders } from 'node:http';
import { debug, debugOnce } from '../log.js';
import { conditionField, type ConditionField } from '../event/condition-field.js';
import type { Transport } from '../delivery/transport.js';
import { hasTags } from './template.js';

/**
 * Governance rules as GET /v1/rules serves them (the fields the agent uses):
 * ```json
 * { "_id": "649b…", "type": "regex" | "user" | "company", "block": true,
 *   "applied_to": "matching" | "not_matching", "applied_to_unidentified": false,
 *   "regex_config": [{ "conditions": [{ "path": "request.route", "value": "^/admin" }] }],
 *   "variables": [{ "name": "0", "path": "user_id" }],
 *   "response": { "status": 403, "headers": { "X-Reason": "{{0}}" }, "body": { "error": "{{0|blocked}}" } } }
 * ```
 */
export interface RawRule {
  _id?: unknown;
  type?: unknown;
  block?: unknown;
  applied_to?: unknown;
  applied_to_unidentified?: unknown;
  regex_config?: unknown;
  variables?: unknown;
  response?: { status?: unknown; headers?: unknown; body?: unknown } | null;
}

/** What a condition needs before it can be decided. */
export const PLAIN = 0;
export const NEEDS_BODY = 1;
export const NEEDS_STATUS = 2;

export interface CompiledCondition {
  path: string;
  /** Reads the condition's text from the request (event/condition-field.ts, as sampling does). */
  field: ConditionField;
  /** undefined: the pattern did not compile, the condition never matches. */
  regex: RegExp | undefined;
  kind: typeof PLAIN | typeof NEEDS_BODY | typeof NEEDS_STATUS;
}

export type RuleType = 'regex' | 'user' | 'company';

export interface CompiledRule {
  id: string;
  type: RuleType;
  /** Position in ruleSet.all (and so in the order /v1/rules listed it). */
  index: number;
  block: boolean;
  /** applied_to: not_matching — the rule applies to users/companies NOT in its cohort. */
  notMatching: boolean;
  /** applied_to_unidentified: the rule applies to requests with no user (company) id. */
  unidentified: boolean;
  /** OR of ANDs; undefined when the rule has no regex_config (it applies to every request). */
  groups: CompiledCondition[][] | undefined;
  status: number;
  /** Header templates, in the order the rule lists them. */
  headers: Array<[string, unknown]>;
  /** Body template; undefined when the rule has none. */
  body: unknown;
  /** Whether any header or the body holds a {{tag}} (else rendering is skipped). */
  templated: boolean;
}

export interface RuleSet {
  all: CompiledRule[];
  regex: CompiledRule[];
  user: CompiledRule[];
  company: CompiledRule[];
  /** Some condition looks at the client's address / the absolute URI (computed only then). */
  needsIp: boolean;
  needsUri: boolean;
}

/** Headers a rule may not set: they describe how the bytes are framed, which Node and the agent decide. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer']);

/** Status of a blocked response whose rule names none (or an invalid one). */
export const DEFAULT_BLOCK_STATUS = 403;

export function compileRules(raw: unknown): RuleSet {
  const set: RuleSet = { all: [], regex: [], user: [], company: [], needsIp: false, needsUri: false };
  if (!Array.isArray(raw)) return set;
  for (const item of raw as RawRule[]) {
    if (!item || typeof item !== 'object') continue;
    const type = item.type;
    if (type !== 'regex' && type !== 'user' && type !== 'company') {
      debugOnce(`rules:type:${String(type)}`, `governance rule of unknown type ${JSON.stringify(type)} skipped`);
      continue;
    }
    const id = typeof item._id === 'string' ? item._id : typeof item._id === 'number' ? String(item._id) : '';
    if (!id) continue;
    const response = item.response && typeof item.response === 'object' ? item.response : {};
    const status = typeof response.status === 'number' && Number.isInteger(response.status) && response.status >= 200 && response.status <= 599 ? response.status : DEFAULT_BLOCK_STATUS;
    const headers: Array<[string, unknown]> = [];
    if (response.headers && typeof response.headers === 'object' && !Array.isArray(response.headers)) {
      for (const [name, value] of Object.entries(response.headers as Record<string, unknown>)) {
        if (value === undefined || value === null || name === '') continue;
        if (FRAMING.has(name.toLowerCase())) {
          debugOnce(`rules:framing:${id}`, `governance rule ${id}: header ${name} is left out (the agent and Node frame the response)`);
          continue;
        }
        headers.push([name, value]);
      }
    }
    const body = response.body === null ? undefined : response.body;
    const rule: CompiledRule = {
      id,
      type,
      index: set.all.length,
      block: item.block === true,
      notMatching: item.applied_to === 'not_matching',
      unidentified: item.applied_to_unidentified === true,
      groups: compileGroups(item.regex_config, id, set),
      status,
      headers,
      body,
      templated: headers.some(([, v]) => hasTags(v)) || hasTags(body),
    };
    set.all.push(rule);
    set[type].push(rule);
  }
  return set;
}

function compileGroups(config: unknown, id: string, set: RuleSet): CompiledCondition[][] | undefined {
  if (!Array.isArray(config) || config.length === 0) return undefined;
  const groups: CompiledCondition[][] = [];
  for (const group of config) {
    const conditions = group && typeof group === 'object' ? (group as { conditions?: unknown }).conditions : undefined;
    if (!Array.isArray(conditions) || conditions.length === 0) continue; // an empty AND: ignored, as if absent
    const compiled: CompiledCondition[] = [];
    for (const c of conditions) {
      const path = c && typeof c.path === 'string' ? c.path : '';
      const value = c && (typeof c.value === 'string' || typeof c.value === 'number') ? String(c.value) : undefined;
      let regex: RegExp | undefined;
      try {
        regex = path && value !== undefined ? new RegExp(value) : undefined;
      } catch {
        debugOnce(`rules:regex:${id}`, `governance rule ${id}: ${JSON.stringify(value)} is not a valid regular expression; that condition never matches`);
      }
      const kind = path.startsWith('request.body.') ? NEEDS_BODY : path === 'response.status' ? NEEDS_STATUS : PLAIN;
      if (path === 'request.ip_address' || path === 'request.ip') set.needsIp = true;
      if (path === 'request.uri') set.needsUri = true;
      compiled.push({ path, field: conditionField(path), regex, kind });
    }
    groups.push(compiled);
  }
  return groups.length ? groups : undefined;
}

const REFRESH_INTERVAL_MS = 60_000;
/** Shortest gap between two fetches a changed X-Moesif-Rules-Tag asks for. */
const TAG_FETCH_GAP_MS = 1_000;
const TAG_HEADER = 'x-moesif-rules-tag';

/**
 * Keeps the collector's governance rules: fetched at start, every minute, and soon after a
 * collector answer carries an X-Moesif-Rules-Tag other than the one held (each new tag asks for
 * one fetch; tag-driven fetches are at least a second apart, so a collector whose instances
 * disagree cannot cause a storm). A failed fetch (network, non-2xx, not a JSON array) keeps the
 * rules held; an empty array clears them. Timers are unref'd.
 */
export class RulesManager {
  private tag: string | undefined;
  private requestedTag: string | undefined;
  private pending: Promise<void> | undefined;
  private lastAttempt = -Infinity;
  private interval: NodeJS.Timeout | undefined;
  private tagTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private count = 0;
  /** A tag change arrived while a fetch was on the wire (it may predate the change): fetch again after. */
  private again = false;

  constructor(
    private readonly transport: () => Transport,
    private readonly publish: (rules: RuleSet | undefined) => void,
  ) {}

  /** Fetches now and every minute from now on (idempotent). */
  start(): void {
    if (this.interval === undefined) {
      this.interval = setInterval(() => void this.fetch(), REFRESH_INTERVAL_MS);
      this.interval.unref();
    }
    void this.fetch();
  }

  /** Stops refreshing and enforcing (shutdown). */
  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.tagTimer);
    this.interval = undefined;
    this.tagTimer = undefined;
    this.generation++;
    this.tag = undefined;
    this.requestedTag = undefined;
    this.count = 0;
    this.publish(undefined);
  }

  /** Called with every collector answer's headers (event batches). */
  onAnswer(headers: IncomingHttpHeaders): void {
    if (this.interval === undefined) return;
    const raw = headers[TAG_HEADER];
    const tag = Array.isArray(raw) ? raw[0] : raw;
    if (!tag || tag === this.tag || tag === this.requestedTag) return;
    this.requestedTag = tag;
    const wait = this.lastAttempt + TAG_FETCH_GAP_MS - Date.now();
    if (wait <= 0) {
      if (this.pending) this.again = true;
      else void this.fetch();
    } else if (this.tagTimer === undefined) {
      this.tagTimer = setTimeout(() => {
        this.tagTimer = undefined;
        void this.fetch();
      }, wait);
      this.tagTimer.unref();
    }
  }

  fetch(): Promise<void> {
    if (this.pending) return this.pending;
    const generation = this.generation;
    this.lastAttempt = Date.now();
    const asked = this.requestedTag;
    let transport: Transport;
    try {
      transport = this.transport();
    } catch {
      return Promise.resolve();
    }
    this.pending = transport
      .send('GET', '/v1/rules')
      .then((answer) => {
        if (generation !== this.generation) return;
        let raw: unknown;
        try {
          raw = JSON.parse(answer.body || '[]');
        } catch {
          throw new Error('the answer is not JSON');
        }
        if (!Array.isArray(raw)) throw new Error('the answer is not a list of rules');
        const set = compileRules(raw);
        const given = answer.headers[TAG_HEADER];
        this.tag = (Array.isArray(given) ? given[0] : given) || asked || this.tag;
        this.count = set.all.length;
        this.publish(set.all.length ? set : undefined);
        debug(`governance: ${set.all.length} rule(s) in force (tag ${this.tag ?? 'none'})`);
      })
      .catch((err) => debug(`governance rules not loaded: ${(err as Error).message}; keeping the ${this.count} rule(s) held`))
      .finally(() => {
        this.pending = undefined;
        if (this.again && generation === this.generation) {
          this.again = false;
          this.requestedTag = undefined;
          this.tagTimer ??= setTimeout(() => {
            this.tagTimer = undefined;
            void this.fetch();
          }, TAG_FETCH_GAP_MS).unref();
        }
      });
    return this.pending;
  }
}
