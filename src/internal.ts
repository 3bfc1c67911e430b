/**
 * The pure core, exported for its unit tests (test/unit/) only: not part of the package's API
 * (package.json does not export this file), and free to change at any time.
 */
export { scanJson, NOT_JSON, CLEAN, SUSPECT } from './event/raw-json.js';
export { redactJson, redactText, redactUri, redactForm, redactHeaders, redactCardNumbers, redactSecretShapes, isSensitiveKey, mayHoldShapedSecret, luhn, REDACTED } from './event/redact.js';
export { SENSITIVE_KEY_WORDS, SHAPE_START_WORDS } from './event/sensitive-words.js';
export { normalizeHeaders } from './event/headers.js';
export { clientIp } from './event/client-ip.js';
export { claimFromJwt, userFromCredentials, valueAtPath } from './event/identify.js';
export { isoTime } from './event/iso-time.js';
export { maskJson, maskHeaders } from './event/mask.js';
export { conditionField } from './event/condition-field.js';
export { Sampling } from './delivery/sampling.js';
export { packSync, splitPacked } from './delivery/packed-batch.js';
export { compileRules } from './governance/rules.js';
export { matchRule, decide, cohortCandidates, NO, YES, BODY, STATUS } from './governance/match.js';
export { render, renderString, hasTags } from './governance/template.js';
export { OPTIONS } from './options/schema.js';
