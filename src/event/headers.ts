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
    let at = raw.indexOf('\r\n');
    while (at !== -1) {
      at += 2;
      const end = raw.indexOf('\r\n', at);
      const lineEnd = end === -1 ? raw.length : end;
      const colon = raw.indexOf(':', at);
      if (colon > at && colon < lineEnd) add(out, lowerName(raw.slice(at, colon).trim()), raw.slice(colon + 1, lineEnd).trim());
      at = end;
    }
    return out;
  }
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) add(out, lowerName(raw[i]!), raw[i + 1]!);
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

/** Header names repeat from event to event: each is lower-cased once (a bounded cache). */
const lowered = new Map<string, string>();

function lowerName(name: string): string {
  let lower = lowered.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowered.size < 2000) lowered.set(name, lower);
  }
  return lower;
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

