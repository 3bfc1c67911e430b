import type { EventModel } from '../event/types.js';
import { conditionField, type ConditionField } from '../event/condition-field.js';
import { debug } from '../log.js';
import type { CollectorConfig } from './remote-config.js';

interface CompiledRegexRule {
  conditions: { field: ConditionField; regex: RegExp }[];
  rate: number;
}

/**
 * Remote sampling from /v1/config: precedence matching regex_config, then the user's rate, then
 * the company's, then sample_rate, then 100. Held on the main thread and, as a copy, on the
 * serializer thread (the config is posted there).
 */
export class Sampling {
  private sampleRate = 100;
  private userRates: Record<string, number> = {};
  private companyRates: Record<string, number> = {};
  private regexRules: CompiledRegexRule[] = [];

  get defaultRate(): number {
    return this.sampleRate;
  }

  apply(config: CollectorConfig): void {
    this.sampleRate = rate(config.sample_rate) ?? 100;
    this.userRates = config.user_sample_rate ?? {};
    this.companyRates = config.company_sample_rate ?? {};
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

  /** Sample rate for an event, 0 to 100. */
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
}

function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(value, 0), 100) : undefined;
}
