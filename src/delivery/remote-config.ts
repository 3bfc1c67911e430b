import type { IncomingHttpHeaders } from 'node:http';
import type { EventModel } from '../event/types.js';
import { valueAtPath } from '../event/identify.js';
import { debug } from '../log.js';
import type { Transport } from './transport.js';

/** GET /v1/config as the collector answers it (SPEC §3). */
export interface CollectorConfig {
  sample_rate?: number;
  user_sample_rate?: Record<string, number>;
  company_sample_rate?: Record<string, number>;
  regex_config?: { conditions?: { path: string; value: string }[]; sample_rate?: number }[];
  user_rules?: Record<string, unknown>;
  company_rules?: Record<string, unknown>;
}

const REFETCH_INTERVAL_MS = 60_000;

interface CompiledRegexRule {
  conditions: { field: ConditionField; regex: RegExp }[];
  rate: number;
}

/**
 * The collector's sampling config: fetched at start, fetched again when an answer's
 * X-Moesif-Config-ETag differs from the one held, never more than once a minute (a failed or
 * pending fetch counts, so nothing storms before the first answer).
 */
export class RemoteConfig {
  private etag: string | undefined;
  private lastAttempt = -Infinity;
  private pending: Promise<void> | undefined;
  private sampleRate = 100;
  private userRates: Record<string, number> = {};
  private companyRates: Record<string, number> = {};
  private regexRules: CompiledRegexRule[] = [];
  private userRules: Record<string, unknown> = {};
  private companyRules: Record<string, unknown> = {};

  constructor(
    private readonly transport: () => Transport,
    /** Told every config applied (the serializer thread samples with a copy). */
    private readonly onApply?: (config: CollectorConfig) => void,
  ) {}

  fetch(): Promise<void> {
    if (this.pending) return this.pending;
    this.lastAttempt = Date.now();
    this.pending = this.transport()
      .send('GET', '/v1/config')
      .then((answer) => {
        this.apply(JSON.parse(answer.body || '{}') as CollectorConfig);
        this.etag = headerString(answer.headers['x-moesif-config-etag']) ?? this.etag;
        debug(`config loaded (sample_rate ${this.sampleRate}, etag ${this.etag ?? 'none'})`);
      })
      .catch((err) => debug(`config not loaded: ${(err as Error).message}; sampling stays at ${this.sampleRate}%`))
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Called with every collector answer's headers. */
  onAnswer(headers: IncomingHttpHeaders): void {
    const etag = headerString(headers['x-moesif-config-etag']);
    if (!etag || etag === this.etag) return;
    if (Date.now() - this.lastAttempt < REFETCH_INTERVAL_MS) return;
    void this.fetch();
  }

  apply(config: CollectorConfig): void {
    this.onApply?.(config);
    this.sampleRate = rate(config.sample_rate) ?? 100;
    this.userRates = config.user_sample_rate ?? {};
    this.companyRates = config.company_sample_rate ?? {};
    this.userRules = isRecord(config.user_rules) ? config.user_rules : {};
    this.companyRules = isRecord(config.company_rules) ? config.company_rules : {};
    this.regexRules = [];
    for (const rule of config.regex_config ?? []) {
      const r = rate(rule.sample_rate);
      if (r === undefined || !Array.isArray(rule.conditions) || rule.conditions.length === 0) continue;
      try {
        this.regexRules.push({ conditions: rule.conditions.map((c) => ({ field: conditionField(c.path), regex: new RegExp(c.value) })), rate: r });
      } catch {
        debug(`regex_config rule skipped: a condition is not a valid regular expression`);
      }
    }
  }

  /** Sample rate for an event: matching regex rule, then user, then company, then sample_rate. */
  rateFor(event: EventModel): number {
    for (const rule of this.regexRules) {
      if (rule.conditions.every((c) => c.regex.test(c.field(event)))) return rule.rate;
    }
    if (event.user_id !== undefined) {
      const r = rate(this.userRates[event.user_id]);
      if (r !== undefined) return r;
    }
    if (event.company_id !== undefined) {
      const r = rate(this.companyRates[event.company_id]);
      if (r !== undefined) return r;
    }
    return this.sampleRate;
  }

  /** 0 to leave the event out, else its weight: floor(100 / rate). */
  weightFor(event: EventModel): number {
    const r = this.rateFor(event);
    if (r >= 100) return 1;
    if (r <= 0 || Math.random() * 100 >= r) return 0;
    return Math.floor(100 / r);
  }

  get currentEtag(): string | undefined {
    return this.etag;
  }

  /** Governance: the rule entries (`[{ rules, values }]`) /v1/config holds for a user id. */
  userRulesFor(userId: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.userRules, userId) ? this.userRules[userId] : undefined;
  }

  /** Governance: the rule entries /v1/config holds for a company id. */
  companyRulesFor(companyId: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.companyRules, companyId) ? this.companyRules[companyId] : undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(value, 0), 100) : undefined;
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the text a regex condition tests from an event (see conditionField). */
export type ConditionField = (event: EventModel) => string;

/**
 * The value a regex condition looks at. Paths: request.verb, request.route (the path),
 * request.uri, request.ip_address, request.headers.<name>, request.body.<field>,
 * response.status, user_id, company_id. Regexes search (match anywhere), as RegExp.test does.
 */
export function conditionValue(event: EventModel, path: string): string {
  return conditionField(path)(event);
}

const fields = new Map<string, ConditionField>();

/**
 * The reader for one condition path, made once per path (sampling and governance rules compile
 * their conditions with it, so a request pays no path parsing). A field that is absent reads as
 * the empty string; objects read as JSON.
 * - request.route: the path of request.uri, without the query. A uri that is a path (governance
 *   passes req.url as it arrived) is its own route; an event may carry the route precomputed as
 *   request.route (governance computes it once per request).
 * - request.headers.<name>: the header, name case-insensitive; repeated values joined with ','.
 */
export function conditionField(path: string): ConditionField {
  let field = fields.get(path);
  if (field === undefined) {
    field = makeField(path);
    if (fields.size < 10_000) fields.set(path, field);
  }
  return field;
}

function makeField(path: string): ConditionField {
  if (path === 'request.route') return routeOf;
  if (path.startsWith('request.headers.')) {
    const name = path.slice(16).toLowerCase();
    return (event) => {
      const value = event.request.headers[name];
      return value === undefined ? '' : String(value);
    };
  }
  const dot = path.indexOf('.');
  const head = dot === -1 ? path : path.slice(0, dot);
  const leaf = dot === -1 ? '' : path.slice(dot + 1);
  // One level below request/response (verb, uri, ip_address, status…): a direct read.
  if ((head === 'request' || head === 'response') && leaf !== '' && leaf.indexOf('.') === -1) {
    return (event) => text((event as unknown as Record<string, Record<string, unknown> | undefined>)[head]?.[leaf]);
  }
  return (event) => text(valueAtPath(event, path));
}

function routeOf(event: EventModel): string {
  const given = (event.request as { route?: unknown }).route;
  if (typeof given === 'string') return given;
  const uri = event.request.uri;
  if (uri.charCodeAt(0) === 47 /* / */) {
    const query = uri.indexOf('?');
    return query === -1 ? uri : uri.slice(0, query);
  }
  try {
    return new URL(uri).pathname;
  } catch {
    return '';
  }
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
