import type { EventHeaders } from './types.js';
import { anyOf, SENSITIVE_KEY_WORDS, SHAPE_START_WORDS } from './sensitive-words.js';

/** What replaces a secret. Schemes are kept ("Bearer <redacted>") so the kind of credential still shows. */
export const REDACTED = '<redacted>';

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
/** Key names whose values are secrets (sensitive-words.ts), in any case, anywhere in the key. */
const SENSITIVE_KEY = anyOf(SENSITIVE_KEY_WORDS, 'i');

/**
 * Secrets known by their shape, whatever the name they travel under: JWTs (three base64url parts,
 * the first a JSON object: eyJ…), AWS access key ids (AKIA/ASIA + 16), GitHub tokens (ghp_, gho_,
 * ghu_, ghs_, ghr_, github_pat_), Stripe secret and restricted keys (sk_/rk_ live/test), Slack tokens
 * (xoxb-, xoxp-, …) and PEM private key blocks (to their END line, or to the end of the text).
 * Linear time: every variable run starts at a word boundary (one start per run) and a PEM match,
 * once begun, always succeeds (the END line or the end of the text), so no input backtracks
 * quadratically.
 */
const SECRET_SHAPES =
  /(?<![\w-])eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_\w{20,}|\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}|\bxox[abposre]-[A-Za-z0-9-]{10,}|-----BEGIN[A-Z ]* PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]* PRIVATE KEY-----|$)/g;
/** Where any of SECRET_SHAPES must begin: a cheap scan that clears most texts at once. */
const SHAPE_HINT = anyOf(SHAPE_START_WORDS);

/** The shortest text any shape can match (a JWT of 4-character parts). */
const SHORTEST_SHAPE = 13;

/** Whether a text may hold a secret known by its shape (false: SECRET_SHAPES surely finds none). */
export function mayHoldShapedSecret(text: string): boolean {
  return text.length >= SHORTEST_SHAPE && SHAPE_HINT.test(text);
}

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Header names repeat from event to event: each is judged once (a bounded cache). */
const headerVerdicts = new Map<string, boolean>();

function isSensitiveHeader(name: string): boolean {
  let verdict = headerVerdicts.get(name);
  if (verdict === undefined) {
    verdict = SENSITIVE_HEADERS.has(name) || isSensitiveKey(name);
    if (headerVerdicts.size < 2000) headerVerdicts.set(name, verdict);
  }
  return verdict;
}

/** Replaces credential header values in place; extra names (the authorization headers in use) count too. */
export function redactHeaders(headers: EventHeaders, extraNames: readonly string[]): void {
  for (const name in headers) {
    const value = headers[name]!;
    if (extraNames.includes(name) || isSensitiveHeader(name)) {
      headers[name] = Array.isArray(value) ? value.map((v) => redactHeaderValue(name, v)) : redactHeaderValue(name, value);
    } else {
      // Any other header: secrets known by their shape (a token forwarded under a custom name).
      headers[name] = Array.isArray(value) ? value.map(redactSecretShapes) : redactSecretShapes(value);
    }
  }
}

function redactHeaderValue(name: string, value: string): string {
  if (name === 'cookie') return value.split(';').map((pair) => redactPair(pair.trim())).join('; ');
  if (name === 'set-cookie') {
    const semi = value.indexOf(';');
    return semi === -1 ? redactPair(value) : redactPair(value.slice(0, semi)) + value.slice(semi);
  }
  const space = value.indexOf(' ');
  if (space > 0 && /^[A-Za-z][\w-]*$/.test(value.slice(0, space))) return `${value.slice(0, space)} ${REDACTED}`;
  return REDACTED;
}

function redactPair(pair: string): string {
  const eq = pair.indexOf('=');
  return eq === -1 ? REDACTED : `${pair.slice(0, eq)}=${REDACTED}`;
}

/**
 * Query parameters with sensitive names, and card numbers and shaped secrets anywhere in the
 * query, are redacted; shaped secrets in the path too (/tokens/ghp_…/revoke).
 */
export function redactUri(uri: string): string {
  const q = uri.indexOf('?');
  const beforeQuery = q === -1 ? uri : uri.slice(0, q);
  const path = mayHoldShapedSecret(beforeQuery) ? beforeQuery.replace(SECRET_SHAPES, encodeURIComponent(REDACTED)) : beforeQuery;
  if (q === -1) return path;
  const hash = uri.indexOf('#', q);
  const query = uri.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = redactForm(query);
  if (redacted === query && path === beforeQuery) return uri;
  return path + '?' + redacted + (hash === -1 ? '' : uri.slice(hash));
}

/** a=1&password=x → a=1&password=<redacted>; returns the input itself when nothing changed. */
export function redactForm(form: string): string {
  let changed = false;
  const parts = form.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq === -1) return part;
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(part.slice(0, eq).replace(/\+/g, ' '));
      value = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return part;
    }
    if (isSensitiveKey(key)) {
      changed = true;
      return `${part.slice(0, eq)}=${encodeURIComponent(REDACTED)}`;
    }
    const clean = redactText(value);
    if (clean !== value) {
      changed = true;
      return `${part.slice(0, eq)}=${encodeURIComponent(clean)}`;
    }
    return part;
  });
  return changed ? parts.join('&') : form;
}

/** Card numbers and shaped secrets inside a string value. */
export function redactText(text: string): string {
  return redactCardNumbers(redactSecretShapes(text));
}

/** JWTs, cloud and SaaS tokens, private keys (SECRET_SHAPES) inside a string. */
export function redactSecretShapes(text: string): string {
  if (!mayHoldShapedSecret(text)) return text;
  return text.replace(SECRET_SHAPES, REDACTED);
}

const CARD_CANDIDATE = /(?<![\d])\d(?:[ -]?\d){11,18}(?![\d])/g;

/** Card numbers (12–19 digits, spaces or dashes between, passing Luhn) inside a string. */
export function redactCardNumbers(text: string): string {
  if (text.length < 12) return text;
  return text.replace(CARD_CANDIDATE, (match) => (luhn(match.replace(/[ -]/g, '')) ? REDACTED : match));
}

export function luhn(digits: string): boolean {
  if (digits.length < 12 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Redacts a parsed JSON body: values under sensitive keys, card numbers in strings and numbers,
 * shaped secrets in strings.
 * Iterative, so hostile nesting depth cannot overflow the stack. Returns the (possibly new) root.
 */
export function redactJson(root: unknown): unknown {
  if (typeof root === 'string') return redactText(root);
  if (typeof root === 'number') return isCardNumber(root) ? REDACTED : root;
  if (root === null || typeof root !== 'object') return root;
  const stack: object[] = [root];
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown>;
    for (const key in node) {
      const value = node[key];
      if (!Array.isArray(node) && isSensitiveKey(key)) {
        if (value !== null && value !== undefined && value !== '') node[key] = REDACTED;
      } else if (typeof value === 'string') {
        const clean = redactText(value);
        if (clean !== value) node[key] = clean;
      } else if (typeof value === 'number') {
        if (isCardNumber(value)) node[key] = REDACTED;
      } else if (value !== null && typeof value === 'object') {
        stack.push(value);
      }
    }
  }
  return root;
}

function isCardNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1e11 && luhn(BigInt(value).toString());
}
