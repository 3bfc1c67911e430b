import { valueAtPath } from '../event/identify.js';

/**
 * Merge tags in a rule's response (headers and body): `{{name}}` or `{{name|default}}`, where
 * `name` is one of the rule's variables (`{{0}}`, `{{1}}`, … as the dashboard numbers them) and
 * the values are the ones /v1/config holds for the user or company (user_rules / company_rules).
 *
 * - A value that is present (not null/undefined) replaces the tag; objects become JSON.
 * - Otherwise the default after `|` replaces it (`{{x|}}` → empty string).
 * - Otherwise `UNKNOWN`, as the other Moesif SDKs do.
 * - A dotted name (`plan.name`) is looked up as a key first, then as a path.
 * Only string values are templated, at any depth of the body; object keys and header names are
 * kept as written. Templates are rendered per request, so values that change in /v1/config show
 * up without a rules refetch.
 */
const TAG = /\{\{([^{}|]+)(?:\|([^{}]*))?\}\}/g;

export type MergeValues = Record<string, unknown> | undefined;

export function renderString(template: string, values: MergeValues): string {
  if (template.indexOf('{{') === -1) return template;
  return template.replace(TAG, (_match, rawName: string, fallback: string | undefined) => {
    const value = lookup(values, rawName.trim());
    if (value !== undefined && value !== null) return typeof value === 'object' ? JSON.stringify(value) : String(value);
    return fallback !== undefined ? fallback : 'UNKNOWN';
  });
}

/** Renders every string inside `template` (objects and arrays are copied, never changed in place). */
export function render(template: unknown, values: MergeValues): unknown {
  if (typeof template === 'string') return renderString(template, values);
  if (template === null || typeof template !== 'object') return template;
  if (Array.isArray(template)) return template.map((item) => render(item, values));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(template)) out[key] = render((template as Record<string, unknown>)[key], values);
  return out;
}

/** True when rendering could change the value (saves copying constant bodies per request). */
export function hasTags(template: unknown): boolean {
  if (typeof template === 'string') return template.indexOf('{{') !== -1;
  if (template === null || typeof template !== 'object') return false;
  if (Array.isArray(template)) return template.some(hasTags);
  return Object.values(template).some(hasTags);
}

function lookup(values: MergeValues, name: string): unknown {
  if (!values || typeof values !== 'object') return undefined;
  if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
  return name.indexOf('.') === -1 ? undefined : valueAtPath(values, name);
}
