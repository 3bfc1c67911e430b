import type { CollectorConfig } from '../delivery/remote-config.js';

/**
 * Which user and company cohorts the collector's /v1/config puts an id in (`user_rules`,
 * `company_rules`: id → `[{ rules, values }]`), for the governance rules of type user/company.
 */
export class Cohorts {
  private users: Record<string, unknown> = {};
  private companies: Record<string, unknown> = {};

  apply(config: CollectorConfig): void {
    this.users = isRecord(config.user_rules) ? config.user_rules : {};
    this.companies = isRecord(config.company_rules) ? config.company_rules : {};
  }

  /** The rule entries /v1/config holds for a user id. */
  userRulesFor(userId: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.users, userId) ? this.users[userId] : undefined;
  }

  /** The rule entries /v1/config holds for a company id. */
  companyRulesFor(companyId: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.companies, companyId) ? this.companies[companyId] : undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
