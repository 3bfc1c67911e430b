import type { EventModel } from './types.js';
import { valueAtPath } from './identify.js';

/** Reads the text a regex condition tests from an event (or a request shaped like one). */
export type ConditionField = (event: EventModel) => string;

const fields = new Map<string, ConditionField>();

/**
 * The reader for one condition path, made once per path: remote sampling (regex_config) and
 * governance rules compile their conditions with it, so a request pays no path parsing. Paths:
 * request.verb, request.route, request.uri, request.ip_address, request.headers.<name>,
 * request.body.<field>, response.status, user_id, company_id… A field that is absent reads as the
 * empty string; objects read as JSON.
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
