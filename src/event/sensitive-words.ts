/**
 * The words redaction looks for, in one place: redact.ts builds its regular expressions from
 * them, and raw-json.ts its byte tables (the scan that lets a clean JSON body skip redaction),
 * so the two can never drift apart.
 */

/**
 * Key names whose values are secrets, found in any case anywhere in a key: the last ones are
 * credentials copied into bodies (header dumps, cloud configs), found by the secrets corpus
 * (test/faults/secrets.test.mjs). Lower case; letters, `_` and `-` only.
 */
export const SENSITIVE_KEY_WORDS: readonly string[] = [
  'passwd', 'password', 'passphrase', 'pwd', 'secret', 'token',
  'apikey', 'api_key', 'api-key', 'privatekey', 'private_key', 'private-key',
  'accesskey', 'access_key', 'access-key', 'authorization', 'cookie',
  'sessionid', 'session_id', 'session-id',
];

/**
 * Where a secret known by its shape (redact.ts SECRET_SHAPES) must begin: JWTs, AWS access key
 * ids, GitHub, Stripe and Slack tokens, PEM blocks. Case-sensitive; each holds a J, I, _ or -
 * (raw-json.ts anchors its look-up there).
 */
export const SHAPE_START_WORDS: readonly string[] = [
  'eyJ', 'AKIA', 'ASIA', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_',
  'sk_live_', 'sk_test_', 'rk_live_', 'rk_test_',
  'xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxs-', 'xoxr-', 'xoxe-', '-----BEGIN',
];

/** A regular expression that finds any of the words (they hold no character special to it but '-', which is literal outside a class). */
export function anyOf(words: readonly string[], flags = ''): RegExp {
  return new RegExp(words.join('|'), flags);
}
