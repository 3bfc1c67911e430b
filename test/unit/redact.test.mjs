import { test } from 'node:test';
import assert from 'node:assert/strict';
import { core } from './support.mjs';

const { redactJson, redactText, redactUri, redactForm, redactHeaders, isSensitiveKey, mayHoldShapedSecret, luhn, REDACTED, SENSITIVE_KEY_WORDS, SHAPE_START_WORDS, scanJson, SUSPECT } = core;

test('every sensitive key word is found in any case and inside a longer key, by both redaction and the JSON scan', () => {
  for (const word of SENSITIVE_KEY_WORDS) {
    for (const key of [word, word.toUpperCase(), `user_${word}_v2`]) {
      assert.ok(isSensitiveKey(key), key);
      assert.equal(scanJson(Buffer.from(JSON.stringify({ [key]: 'x' }))), SUSPECT, `scan misses key ${key}`);
      assert.deepEqual(redactJson({ [key]: 'x' }), { [key]: REDACTED });
    }
  }
  for (const key of ['name', 'email', 'pass', 'tok', 'session', 'api', 'private', 'access']) assert.ok(!isSensitiveKey(key), key);
});

test('every shape word is a hint for both redaction and the JSON scan', () => {
  for (const word of SHAPE_START_WORDS) {
    const text = `${word}${'A'.repeat(40)}`;
    assert.ok(mayHoldShapedSecret(text), word);
    assert.equal(scanJson(Buffer.from(JSON.stringify({ note: text }))), SUSPECT, `scan misses shape ${word}`);
  }
  assert.ok(!mayHoldShapedSecret('a perfectly ordinary sentence'));
});

test('secrets by shape are replaced wherever they stand in a text', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';
  assert.equal(redactText(`token is ${jwt}.`), `token is ${REDACTED}.`);
  assert.equal(redactText('key AKIAIOSFODNN7EXAMPLE here'), `key ${REDACTED} here`);
  assert.equal(redactText(`ghp_${'x'.repeat(36)}`), REDACTED);
  assert.equal(redactText('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY----- after'), `${REDACTED} after`);
  assert.equal(redactText('no secret here'), 'no secret here');
});

test('card numbers: 12–19 digits with spaces or dashes, only when Luhn passes', () => {
  assert.ok(luhn('4111111111111111'));
  assert.ok(!luhn('4111111111111112'));
  assert.equal(redactText('card 4111-1111-1111-1111 ok'), `card ${REDACTED} ok`);
  assert.equal(redactText('order 4111111111111112'), 'order 4111111111111112');
  assert.equal(redactText('short 41111111'), 'short 41111111');
});

test('JSON bodies: nested keys, arrays, numbers that are card numbers', () => {
  const body = { user: { password: 'p', profile: { apiKey: 'k', list: [{ token: 't' }] } }, card: 4111111111111111, ok: 1 };
  assert.deepEqual(redactJson(body), { user: { password: REDACTED, profile: { apiKey: REDACTED, list: [{ token: REDACTED }] } }, card: REDACTED, ok: 1 });
});

test('headers keep the scheme and cookie names; URIs and forms lose values of sensitive names', () => {
  const headers = { authorization: 'Bearer abc.def.ghi', cookie: 'sid=1; theme=dark', 'x-api-key': 'k', accept: '*/*' };
  redactHeaders(headers, []);
  assert.equal(headers.authorization, `Bearer ${REDACTED}`);
  assert.equal(headers.accept, '*/*');
  assert.match(headers.cookie, /^sid=<redacted>; theme=<redacted>$/);
  assert.equal(headers['x-api-key'], REDACTED);
  assert.equal(redactUri('https://h/p?api_key=123&q=shoes'), `https://h/p?api_key=${encodeURIComponent(REDACTED)}&q=shoes`);
  assert.equal(redactForm('user=a&password=b'), `user=a&password=${encodeURIComponent(REDACTED)}`);
});
