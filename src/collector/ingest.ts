import { isPlainObject } from './entity-log';
import type { EntityKind } from './store';

/**
 * The collector API of SPEC §3: which path takes which kind, single or batch, and what each item
 * must hold. A batch with one invalid item is refused whole (400), nothing stored — as Moesif
 * does, and so a client's mistake shows at once instead of half a batch going missing.
 */

export type IngestKind = 'events' | 'actions' | EntityKind;

export interface IngestRoute {
  kind: IngestKind;
  batch: boolean;
}

export const INGEST_ROUTES: Record<string, IngestRoute> = {};
for (const kind of ['events', 'users', 'companies', 'subscriptions', 'actions'] as const) {
  INGEST_ROUTES[`/v1/${kind}`] = { kind, batch: false };
  INGEST_ROUTES[`/v1/${kind}/batch`] = { kind, batch: true };
}

function present(v: unknown): boolean {
  return (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v));
}

function isTime(v: unknown): boolean {
  return typeof v === 'string' && Number.isFinite(Date.parse(v));
}

/** Why the item is refused, or undefined when it is fine. */
export function problemWith(kind: IngestKind, item: unknown): string | undefined {
  if (!isPlainObject(item)) return 'must be a JSON object';
  switch (kind) {
    case 'events': {
      const req = item.request;
      if (!isPlainObject(req)) return 'request is required (an object)';
      if (!isTime(req.time)) return 'request.time is required (ISO-8601)';
      if (!present(req.uri)) return 'request.uri is required';
      if (!present(req.verb)) return 'request.verb is required';
      const res = item.response;
      if (res !== undefined && res !== null) {
        if (!isPlainObject(res)) return 'response must be an object';
        if (res.time !== undefined && res.time !== null && !isTime(res.time)) return 'response.time must be ISO-8601';
      }
      return undefined;
    }
    case 'actions': {
      if (!present(item.action_name)) return 'action_name is required';
      if (!isPlainObject(item.request) || !present(item.request.uri)) return 'request.uri is required';
      return undefined;
    }
    case 'users':
      return present(item.user_id) ? undefined : 'user_id is required';
    case 'companies':
      return present(item.company_id) ? undefined : 'company_id is required';
    case 'subscriptions':
      if (!present(item.subscription_id)) return 'subscription_id is required';
      if (!present(item.company_id)) return 'company_id is required';
      if (!present(item.status)) return 'status is required';
      return undefined;
  }
}

/** The items of a request body, or the message of a 400. */
export function itemsOf(route: IngestRoute, body: unknown): { items: unknown[] } | { error: string } {
  if (route.batch) {
    if (!Array.isArray(body)) return { error: `a batch endpoint takes a JSON array of ${route.kind}` };
    for (let i = 0; i < body.length; i++) {
      const p = problemWith(route.kind, body[i]);
      if (p) return { error: `item ${i}: ${p}; nothing was stored` };
    }
    return { items: body };
  }
  if (Array.isArray(body)) return { error: `this endpoint takes one JSON object; send arrays to /v1/${route.kind}/batch` };
  const p = problemWith(route.kind, body);
  return p ? { error: p } : { items: [body] };
}

/** What GET /v1/config answers: sample everything, no rules. */
export const APP_CONFIG = {
  sample_rate: 100,
  user_sample_rate: {},
  company_sample_rate: {},
  regex_config: [],
  user_rules: {},
  company_rules: {},
};
