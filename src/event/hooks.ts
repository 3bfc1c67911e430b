import { warnOnce } from '../log.js';

/**
 * Longest id a hook may return (user, company, session token, api version), in characters. Longer
 * is a bug in the hook, and a 10 MB id would ride along in every batch: it is left out, not cut
 * (a cut id would be somebody else's).
 */
export const MAX_ID_CHARS = 4096;
/** Largest metadata kept, in characters of its JSON; larger is left out (said once). */
export const MAX_METADATA_CHARS = 100_000;

/**
 * Calls a user hook so that nothing it does reaches the app: a throw (or a rejected promise)
 * costs that field of that event only, and is said once per hook on stderr: a hook that fails
 * fails on every request, and its field would be missing from every event without a word.
 */
export function runHook(name: string, hook: ((a: any, b: any) => unknown) | undefined, a: unknown, b: unknown): unknown {
  if (!hook) return undefined;
  try {
    const value = hook(a, b);
    if (isThenable(value)) (value as Promise<unknown>).then(undefined, (err) => hookFailed(name, err)); // no unhandled rejection
    return value;
  } catch (err) {
    hookFailed(name, err);
    return undefined;
  }
}

export function hookFailed(name: string, err: unknown): void {
  const what = name.startsWith('skip') ? 'the event is kept' : 'that field is left out';
  warnOnce(`hook:${name}`, `${name} threw (${err instanceof Error ? err.message : String(err)}); ${what} (said once)`);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as any).then === 'function';
}

/** A user/company id: a non-empty string or a finite number; anything else is dropped (said once). */
export function asId(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return withinIdLimit(name, value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  warnOnce(`type:${name}`, `${name} returned ${describe(value)}, not a string; that field is left out (said once)`);
  return undefined;
}

export function asString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return withinIdLimit(name, value);
  warnOnce(`type:${name}`, `${name} returned ${describe(value)}, not a string; that field is left out (said once)`);
  return undefined;
}

export function asObject(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  warnOnce(`type:${name}`, `${name} returned ${describe(value)}, not an object; metadata is left out (said once)`);
  return undefined;
}

function withinIdLimit(name: string, value: string): string | undefined {
  if (value.length <= MAX_ID_CHARS) return value;
  warnOnce(`size:${name}`, `${name} returned a string of ${value.length} characters (over ${MAX_ID_CHARS}); that field is left out (said once)`);
  return undefined;
}

/** An over-long id string a hook returned, left out as soon as it is captured: not held in the queue. */
export function boundedId(name: string, value: unknown): unknown {
  return typeof value === 'string' && value.length > MAX_ID_CHARS ? withinIdLimit(name, value) : value;
}

/**
 * The event's metadata as JSON, or undefined (said once) when it cannot be written (circular,
 * nested too deep) or is over MAX_METADATA_CHARS. Off the request path: in the serializer.
 */
export function metadataJson(value: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    warnOnce('metadata:unwritable', 'metadata cannot be serialized (circular, or nested too deep); it is left out of the event (said once)');
    return undefined;
  }
  if (json !== undefined && json.length > MAX_METADATA_CHARS) {
    warnOnce('metadata:size', `metadata is ${json.length} characters of JSON (over ${MAX_METADATA_CHARS}); it is left out of the event (said once)`);
    return undefined;
  }
  return json;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
