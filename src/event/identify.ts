import { RawJson } from './raw-json.js';
import type { EventHeaders } from './types.js';

/**
 * The user named by the credentials in the first present authorization header (SPEC §5):
 * a JWT's claim (payload base64url, dotted path allowed) or a Basic user name. Signatures are not
 * verified: this identifies for analytics, it does not authenticate.
 */
export function userFromAuthorization(
  headers: EventHeaders,
  headerNames: readonly string[],
  claimPath: string,
): string | undefined {
  for (const name of headerNames) {
    const value = headers[name];
    if (typeof value !== 'string' || value === '') continue;
    return userFromCredentials(value.trim(), claimPath);
  }
  return undefined;
}

export function userFromCredentials(value: string, claimPath: string): string | undefined {
  const space = value.indexOf(' ');
  const scheme = space === -1 ? '' : value.slice(0, space).toLowerCase();
  const credentials = space === -1 ? value : value.slice(space + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    return user || undefined;
  }
  if (scheme === '' || scheme === 'bearer') return claimFromJwt(credentials, claimPath);
  return undefined;
}

export function claimFromJwt(token: string, claimPath: string): string | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second === -1) return undefined;
  // 'base64url' also accepts padding and plain base64's + and /.
  const json = Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8');
  if (json.charCodeAt(0) !== 123 /* { */) return undefined; // not a JWT: skip the costly throw
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return undefined;
  }
  const value = valueAtPath(payload, claimPath);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** obj at "a.b.c"; a key that itself contains dots is found first. */
export function valueAtPath(obj: unknown, path: string): unknown {
  if (obj instanceof RawJson) obj = obj.value; // a body kept as text (sampling on request.body.x)
  if (obj === null || typeof obj !== 'object') return undefined;
  const record = obj as Record<string, unknown>;
  if (path in record) return record[path];
  const dot = path.indexOf('.');
  if (dot === -1) return undefined;
  return valueAtPath(record[path.slice(0, dot)], path.slice(dot + 1));
}
