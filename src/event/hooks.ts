import { debugOnce } from '../log.js';

/**
 * Calls a user hook so that nothing it does reaches the app: a throw costs that field of that
 * event only, and is logged once per hook under localDebug.
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
  debugOnce(`hook:${name}`, `${name} threw (${err instanceof Error ? err.message : String(err)}); that field is left out`);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as any).then === 'function';
}

/** A user/company id: a non-empty string or a finite number; anything else is dropped (once noted). */
export function asId(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  debugOnce(`type:${name}`, `${name} returned ${typeof value}, not a string; that field is left out`);
  return undefined;
}

export function asString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  debugOnce(`type:${name}`, `${name} returned ${typeof value}, not a string; that field is left out`);
  return undefined;
}

export function asObject(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  debugOnce(`type:${name}`, `${name} returned ${Array.isArray(value) ? 'an array' : typeof value}, not an object; metadata is left out`);
  return undefined;
}

export function asBoolean(value: unknown): boolean {
  return value === true;
}
