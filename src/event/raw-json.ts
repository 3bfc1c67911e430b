/**
 * A JSON body kept as the text the app sent, known to be valid JSON. Parsing a body only to
 * stringify it again costs several µs per KB; when nothing in the body must be redacted or
 * masked, the event's JSON carries this text as it is (see eventJson). `value` parses on demand,
 * for whoever must look inside (a sampling rule on request.body.x, maskEventModel).
 */
export class RawJson {
  private parsed: unknown;
  private done = false;

  /** `clean`: the scan found nothing redaction would change (see scanJson). */
  constructor(readonly text: string, readonly clean: boolean) {}

  get value(): unknown {
    if (!this.done) {
      this.parsed = JSON.parse(this.text);
      this.done = true;
    }
    return this.parsed;
  }

  toJSON(): unknown {
    return this.value; // only reached when an event is stringified without eventJson
  }
}

const enum C {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  LowerE = 101,
  OpenBrace = 123,
  CloseBrace = 125,
}

const OBJECT = 1;
const ARRAY = 2;

export const NOT_JSON = 0;
/** Valid, and nothing in it that redaction would change. */
export const CLEAN = 1;
/** Valid, but a key may be sensitive or digits may form a card number: parse and redact it. */
export const SUSPECT = 2;

/** Set by string() and number() as they scan: something redaction must look at. */
let suspect = false;

/**
 * Whether the bytes are exactly one JSON value (RFC 8259, whitespace around allowed) as
 * JSON.parse would take them, without building anything, and in the same pass whether
 * redaction could find something: a key naming a secret (password, secret, token, api key), a
 * string or number with twelve or more digits, or a \u escape (which could spell either).
 * Iterative: no nesting depth can overflow the stack.
 */
export function scanJson(s: Uint8Array): typeof NOT_JSON | typeof CLEAN | typeof SUSPECT {
  suspect = false;
  return isJson(s) ? (suspect ? SUSPECT : CLEAN) : NOT_JSON;
}

function isJson(s: Uint8Array): boolean {
  const n = s.length;
  const stack: number[] = [];
  let i = 0;
  value: for (;;) {
    i = skipSpace(s, i);
    const c = s[i]!;
    if (c === C.OpenBrace) {
      i = skipSpace(s, i + 1);
      if (s[i]! === C.CloseBrace) i++;
      else {
        stack.push(OBJECT);
        i = key(s, i);
        if (i < 0) return false;
        continue value;
      }
    } else if (c === C.OpenBracket) {
      i = skipSpace(s, i + 1);
      if (s[i]! === C.CloseBracket) i++;
      else {
        stack.push(ARRAY);
        continue value;
      }
    } else if (c === C.Quote) {
      i = string(s, i, n);
    } else if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) {
      i = number(s, i);
    } else if (c === 116 /* t */) {
      i = s[i + 1] === 114 && s[i + 2] === 117 && s[i + 3] === 101 ? i + 4 : -1;
    } else if (c === 102 /* f */) {
      i = s[i + 1] === 97 && s[i + 2] === 108 && s[i + 3] === 115 && s[i + 4] === 101 ? i + 5 : -1;
    } else if (c === 110 /* n */) {
      i = s[i + 1] === 117 && s[i + 2] === 108 && s[i + 3] === 108 ? i + 4 : -1;
    } else return false;
    if (i < 0) return false;
    // After a value: close containers, or a comma and the next member.
    for (;;) {
      i = skipSpace(s, i);
      if (stack.length === 0) return i === n;
      const top = stack[stack.length - 1];
      const c = s[i]!;
      if (c === C.Comma) {
        i++;
        if (top === OBJECT) {
          i = key(s, skipSpace(s, i));
          if (i < 0) return false;
        }
        continue value;
      }
      if (c !== (top === OBJECT ? C.CloseBrace : C.CloseBracket)) return false;
      stack.pop();
      i++;
    }
  }
}

function skipSpace(s: Uint8Array, i: number): number {
  for (;;) {
    const c = s[i]!;
    if (c !== C.Space && c !== C.Lf && c !== C.Cr && c !== C.Tab) return i;
    i++;
  }
}

/** `"name" :` at i; the index after the colon, or -1. */
function key(s: Uint8Array, i: number): number {
  if (s[i]! !== C.Quote) return -1;
  const start = i + 1;
  i = string(s, i, s.length);
  if (i < 0) return -1;
  if (i - start > 3 && !suspect && isSensitiveKey(s, start, i - 1)) suspect = true; // the shortest word, pwd, is 3
  i = skipSpace(s, i);
  return s[i]! === C.Colon ? i + 1 : -1;
}

/** A string starting at the quote at i; the index after its closing quote, or -1. */
function string(s: Uint8Array, i: number, n: number): number {
  let run = 0; // digits in a row, spaces and dashes between them allowed (a card number's look)
  for (i++; i < n; i++) {
    const c = s[i]!;
    if (c === C.Quote) return i + 1;
    if (c <= C.Nine && c >= C.Zero) {
      if (++run === 12) suspect = true;
      continue;
    }
    if (c !== C.Space && c !== C.Minus) run = 0;
    if (c < C.Space) return -1;
    if (c === C.Backslash) {
      const e = s[++i]!;
      if (e === 117 /* u */) {
        suspect = true;
        for (let k = 1; k <= 4; k++) if (!isHex(s[i + k]!)) return -1;
        i += 4;
      } else if (!(e === C.Quote || e === C.Backslash || e === C.Slash || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)) {
        return -1; // not one of \" \\ \/ \b \f \n \r \t
      }
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= C.Zero && c <= C.Nine) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? at i; the index after it, or -1. */
function number(s: Uint8Array, i: number): number {
  const start = i;
  if (s[i]! === C.Minus) i++;
  let c = s[i]!;
  if (c === C.Zero) i++;
  else if (c >= 49 && c <= C.Nine) i = digits(s, i + 1);
  else return -1;
  if (s[i]! === C.Dot) {
    const after = digits(s, i + 1);
    if (after === i + 1) return -1;
    i = after;
  }
  c = s[i]!;
  if (c === C.LowerE || c === C.UpperE) {
    suspect = true; // 4.1e15 is an integer too
    i++;
    c = s[i]!;
    if (c === C.Plus || c === C.Minus) i++;
    const after = digits(s, i);
    if (after === i) return -1;
    i = after;
  }
  if (i - start >= 12) suspect = true;
  return i;
}

/**
 * The key names redact.ts's SENSITIVE_KEY finds (any case, anywhere in the key), as bytes, by
 * their first two letters (so most positions of a key cost one look-up): keep the two in step.
 */
const KEY_WORDS: Array<Uint8Array[] | undefined> = new Array(128 * 128).fill(undefined); // by their first two letters
for (const word of [
  'passwd', 'password', 'passphrase', 'pwd', 'privatekey', 'private_key', 'private-key',
  'secret', 'sessionid', 'session_id', 'session-id', 'token', 'apikey', 'api_key', 'api-key',
  'accesskey', 'access_key', 'access-key', 'authorization', 'cookie',
]) {
  (KEY_WORDS[(word.charCodeAt(0) << 7) | word.charCodeAt(1)] ??= []).push(Buffer.from(word, 'latin1'));
}

/** Whether the key's bytes [from, to) hold one of KEY_WORDS, letters compared case-insensitively. */
function isSensitiveKey(s: Uint8Array, from: number, to: number): boolean {
  for (let j = from; j + 1 < to; j++) {
    const words = KEY_WORDS[(((s[j]! | 0x20) & 0x7f) << 7) | ((s[j + 1]! | 0x20) & 0x7f)];
    if (words === undefined) continue;
    for (const word of words) if (j + word.length <= to && matches(s, j, word)) return true;
  }
  return false;
}

function matches(s: Uint8Array, j: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) {
    const w = word[k]!;
    const b = s[j + k]!;
    // Letters case-insensitively (b | 0x20 is a lower-case letter only for a letter); _ and - exactly.
    if (w >= 97 && w <= 122 ? (b | 0x20) !== w : b !== w) return false;
  }
  return true;
}

function digits(s: Uint8Array, i: number): number {
  for (;;) {
    const c = s[i]!;
    if (!(c >= C.Zero && c <= C.Nine)) return i; // also past the end (NaN)
    i++;
  }
}
