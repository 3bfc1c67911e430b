// scanJson against JSON.parse: the byte scan must take exactly what JSON.parse takes, and a body
// it calls CLEAN must come out of redaction unchanged (else a secret would be sent as it is).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { core, prng } from './support.mjs';

const { scanJson, NOT_JSON, CLEAN, SUSPECT, redactJson } = core;

function parses(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const SEEDS = [
  '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
  '[1,-2.5e+3,0.1,"x\\n\\"y\\"",{}, []]',
  ' \t\n{"nested":{"deep":[[[[1]]]]}} \r\n',
  '"just a string"',
  '-0',
  '{"unicode":"\u00e9\u4e2d\ud83d\ude00"}',
  '{"id":123456789012345,"card":"4111 1111 1111 1111"}',
  '{"password":"hunter2","note":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"}',
];
const PIECES = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u00', '\\u0041', '-', '+', '.', 'e', 'E', '0', '1', '9', ' ', '\t', '\n', 'true', 'fals', 'null', 'nul', 'x', '\u00e9', '\u0001', 'token', 'eyJ', 'AKIA', '-----BEGIN'];

function mutate(rand, text) {
  const chars = [...text];
  const edits = 1 + rand.int(3);
  for (let e = 0; e < edits; e++) {
    const at = rand.int(chars.length + 1);
    const kind = rand.int(3);
    if (kind === 0) chars.splice(at, 1);
    else if (kind === 1) chars.splice(at, 0, rand.pick(PIECES));
    else chars.splice(at, 1, rand.pick(PIECES));
  }
  return chars.join('');
}

test('scanJson accepts exactly what JSON.parse accepts (mutated inputs)', () => {
  const rand = prng(14);
  let accepted = 0;
  for (let i = 0; i < 40_000; i++) {
    const text = mutate(rand, rand.pick(SEEDS));
    const verdict = scanJson(Buffer.from(text));
    const expected = parses(text);
    assert.equal(verdict !== NOT_JSON, expected, `verdict ${verdict} for ${JSON.stringify(text)}`);
    if (expected) accepted++;
  }
  assert.ok(accepted > 2_000, `enough mutants parse to test both sides (${accepted})`);
});

test('scanJson: deep nesting is iterative, no stack overflow', () => {
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  assert.equal(scanJson(Buffer.from(deep)), CLEAN);
  assert.equal(scanJson(Buffer.from(deep.slice(1))), NOT_JSON);
});

test('a CLEAN body is one redaction leaves as it is', () => {
  const rand = prng(7);
  const words = ['name', 'note', 'id', 'sk', 'gh', 'xo', 'pass', 'tok', 'key', 'api', 'Authorization', 'x-api-key', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', 'AKIAABCDEFGHIJKLMNOP', 'ghp_' + 'a'.repeat(36), '4111111111111111', '1234 5678 9012', 'hello world', 'sk_live_abcdefghijkl'];
  const value = (depth) => {
    const k = rand.int(depth > 3 ? 3 : 6);
    if (k === 0) return rand.pick(words);
    if (k === 1) return rand.int(10) === 0 ? Number('4111111111111111') : rand.int(1e6);
    if (k === 2) return rand.int(2) === 0;
    if (k === 3) return Array.from({ length: rand.int(4) }, () => value(depth + 1));
    const obj = {};
    for (let i = rand.int(4); i > 0; i--) obj[rand.pick(words) + (rand.int(2) ? '' : '_' + rand.pick(words))] = value(depth + 1);
    return obj;
  };
  let clean = 0;
  let suspect = 0;
  for (let i = 0; i < 20_000; i++) {
    const body = value(0);
    const text = JSON.stringify(body);
    const verdict = scanJson(Buffer.from(text));
    assert.notEqual(verdict, NOT_JSON);
    if (verdict === CLEAN) {
      clean++;
      assert.deepEqual(redactJson(JSON.parse(text)), JSON.parse(text), `CLEAN but redaction changes ${text}`);
    } else {
      assert.equal(verdict, SUSPECT);
      suspect++;
    }
  }
  assert.ok(clean > 1_000 && suspect > 1_000, `both verdicts exercised (${clean} clean, ${suspect} suspect)`);
});
