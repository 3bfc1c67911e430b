import { SENSITIVE_KEY_WORDS, SHAPE_START_WORDS } from './sensitive-words.js';

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
 * string or number with twelve or more digits, the start of a secret known by its shape (a JWT,
 * a cloud or SaaS token, a private key), or a \u escape (which could spell any of them).
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

/** How string() treats each byte inside a string; most bytes are PLAIN, decided by one look-up. */
const PLAIN = 0;
const QUOTE = 1;
const DIGIT = 2;
/** Space and dash: allowed between the digits of a card number. */
const JOINER = 3;
const CONTROL = 4;
const BACKSLASH = 5;
/** A byte every secret shape's hint holds (see SHAPE_WORDS): look around it. */
const ANCHOR = 6;
/** A dash: joins card digits, and anchors shape hints too. */
const DASH = 7;
const IN_STRING = new Uint8Array(256);
for (let c = 0; c < C.Space; c++) IN_STRING[c] = CONTROL;
for (let c = C.Zero; c <= C.Nine; c++) IN_STRING[c] = DIGIT;
IN_STRING[C.Quote] = QUOTE;
IN_STRING[C.Space] = JOINER;
IN_STRING[C.Backslash] = BACKSLASH;

/**
 * Where redact.ts's SECRET_SHAPES may begin (sensitive-words.ts). Each word is found from its
 * last J, I, _ or - (its anchor), so a string's other bytes cost no more than the look-up.
 * Escapes other than \u (which marks a body suspect anyway) decode to none of these bytes, so a
 * shape in the decoded string shows in the bytes.
 */
const SHAPE_WORDS = SHAPE_START_WORDS;
/**
 * By anchor byte: the words anchored there, grouped by where their first byte is and what it is,
 * so most anchors (a dash in a date, the _ of a snake_case key) cost one or two comparisons.
 */
interface ShapeGroup {
  /** How far before the anchor the words begin, and their first byte. */
  back: number;
  first: number;
  words: Uint8Array[];
}
const SHAPES_AT: ShapeGroup[][] = Array.from({ length: 256 }, () => []);
/**
 * (anchor byte, the byte two before it) pairs some word has: checked in line before shapeAt,
 * which is then called for few anchors (every word is at least three bytes up to its anchor).
 */
const NEAR_SHAPE = new Uint8Array(256 * 256);
for (const word of SHAPE_WORDS) {
  // The last anchor byte in the word: "-----BEGIN" is then told from a lone dash by its first byte.
  const back = Math.max(word.lastIndexOf('J'), word.lastIndexOf('I'), word.lastIndexOf('_'), word.lastIndexOf('-'));
  const byte = word.charCodeAt(back);
  const groups = SHAPES_AT[byte]!;
  let group = groups.find((g) => g.back === back && g.first === word.charCodeAt(0));
  if (!group) groups.push((group = { back, first: word.charCodeAt(0), words: [] }));
  group.words.push(Buffer.from(word, 'latin1'));
  NEAR_SHAPE[(byte << 8) | word.charCodeAt(back - 2)] = 1;
  IN_STRING[byte] = byte === C.Minus ? DASH : ANCHOR;
}

/** Whether one of SHAPE_WORDS has its anchor at i. */
function shapeAt(s: Uint8Array, i: number): boolean {
  const groups = SHAPES_AT[s[i]!]!;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const from = i - group.back;
    if (from < 0 || s[from] !== group.first) continue;
    for (const word of group.words) {
      let k = 1;
      while (k < word.length && s[from + k] === word[k]) k++;
      if (k === word.length) return true;
    }
  }
  return false;
}

/** A string starting at the quote at i; the index after its closing quote, or -1. */
function string(s: Uint8Array, i: number, n: number): number {
  let run = 0; // digits in a row, spaces and dashes between them allowed (a card number's look)
  for (i++; i < n; i++) {
    const c = s[i]!;
    const kind = IN_STRING[c]!;
    if (kind === PLAIN) {
      run = 0;
      continue;
    }
    if (kind === QUOTE) return i + 1;
    if (kind === DIGIT) {
      if (++run === 12) suspect = true;
      continue;
    }
    if (kind === JOINER) continue;
    if (kind === DASH || kind === ANCHOR) {
      if (kind === ANCHOR) run = 0;
      if (!suspect && NEAR_SHAPE[(c << 8) | s[i - 2]!] === 1 && shapeAt(s, i)) suspect = true;
      continue;
    }
    if (kind === CONTROL) return -1;
    // A backslash.
    run = 0;
    const e = s[++i]!;
    if (e === 117 /* u */) {
      suspect = true;
      for (let k = 1; k <= 4; k++) if (!isHex(s[i + k]!)) return -1;
      i += 4;
    } else if (!(e === C.Quote || e === C.Backslash || e === C.Slash || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)) {
      return -1; // not one of \" \\ \/ \b \f \n \r \t
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
 * The key names redact.ts's SENSITIVE_KEY finds (sensitive-words.ts; any case, anywhere in the
 * key), as bytes, by their first two letters (so most positions of a key cost one look-up).
 */
const KEY_WORDS: Array<Uint8Array[] | undefined> = new Array(128 * 128).fill(undefined);
for (const word of SENSITIVE_KEY_WORDS) {
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
