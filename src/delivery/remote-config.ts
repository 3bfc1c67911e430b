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
  conditions: { path: string; regex: RegExp }[];
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
    this.regexRules = [];
    for (const rule of config.regex_config ?? []) {
      const r = rate(rule.sample_rate);
      if (r === undefined || !Array.isArray(rule.conditions) || rule.conditions.length === 0) continue;
      try {
        this.regexRules.push({ conditions: rule.conditions.map((c) => ({ path: c.path, regex: new RegExp(c.value) })), rate: r });
      } catch {
        debug(`regex_config rule skipped: a condition is not a valid regular expression`);
      }
    }
  }

  /** Sample rate for an event: matching regex rule, then user, then company, then sample_rate. */
  rateFor(event: EventModel): number {
    for (const rule of this.regexRules) {
      if (rule.conditions.every((c) => c.regex.test(conditionValue(event, c.path)))) return rule.rate;
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
}

function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(value, 0), 100) : undefined;
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The value a regex condition looks at. Paths: request.verb, request.route (the path),
 * request.uri, request.ip_address, request.headers.<name>, request.body.<field>,
 * response.status, user_id, company_id. Regexes search (match anywhere), as RegExp.test does.
 */
export function conditionValue(event: EventModel, path: string): string {
  if (path === 'request.route') {
    try {
      return new URL(event.request.uri).pathname;
    } catch {
      return '';
    }
  }
  if (path.startsWith('request.headers.')) {
    const value = event.request.headers[path.slice(16).toLowerCase()];
    return value === undefined ? '' : String(value);
  }
  const value = valueAtPath(event, path);
  return value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
