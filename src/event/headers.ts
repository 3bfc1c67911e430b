import type { EventHeaders, RawHeaders } from './types.js';

/**
 * Lower-cases names and joins repeats with ", " as the collector expects; set-cookie stays a list
 * because its values may hold commas (Expires=...).
 */
export function normalizeHeaders(raw: RawHeaders | undefined): EventHeaders {
  const out: EventHeaders = {};
  if (!raw) return out;
  if (typeof raw === 'string') {
    // "HTTP/1.1 200 OK\r\nName: value\r\n…\r\n\r\n": the first line is the status line.
    const lines = raw.split('\r\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon > 0) add(out, line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return out;
  }
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) add(out, raw[i]!.toLowerCase(), raw[i + 1]!);
    return out;
  }
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const v of value) add(out, lower, String(v));
    else add(out, lower, String(value));
  }
  return out;
}

function add(out: EventHeaders, name: string, value: string): void {
  const prev = out[name];
  if (name === 'set-cookie') {
    if (prev === undefined) out[name] = [value];
    else (prev as string[]).push(value);
  } else {
    out[name] = prev === undefined ? value : `${prev}, ${value}`;
  }
}

/** One header's value from raw headers without normalizing them all (for the request path). */
export function headerValue(raw: RawHeaders | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  if (typeof raw === 'string') return normalizeHeaders(raw)[name] as string | undefined;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
    return undefined;
  }
  const value = raw[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}
