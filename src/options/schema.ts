import type { MoesifOptions } from './types.js';

/** How an option's value is read from the environment and checked. */
export type OptionKind = 'string' | 'url' | 'boolean' | 'size' | 'positiveInt' | 'list' | 'function';

export interface OptionSpec {
  kind: OptionKind;
  env?: string;
  default?: unknown;
  /** Largest value allowed (numbers). */
  max?: number;
}

/** The one table of options: their kind, environment variable and default. README's table follows it. */
export const OPTIONS: { readonly [K in keyof Required<MoesifOptions>]: OptionSpec } = {
  applicationId: { kind: 'string', env: 'MOESIF_APPLICATION_ID' },
  baseUri: { kind: 'url', env: 'MOESIF_BASE_URI', default: 'https://api.moesif.net' },
  logBody: { kind: 'boolean', env: 'MOESIF_LOG_BODY', default: true },
  requestMaxBodySize: { kind: 'size', env: 'MOESIF_REQUEST_MAX_BODY_SIZE', default: 100_000 },
  responseMaxBodySize: { kind: 'size', env: 'MOESIF_RESPONSE_MAX_BODY_SIZE', default: 100_000 },
  skip: { kind: 'function' },
  identifyUser: { kind: 'function' },
  identifyCompany: { kind: 'function' },
  getSessionToken: { kind: 'function' },
  getMetadata: { kind: 'function' },
  getApiVersion: { kind: 'function' },
  apiVersion: { kind: 'string', env: 'MOESIF_API_VERSION' },
  maskEventModel: { kind: 'function' },
  requestHeaderMasks: { kind: 'list', env: 'MOESIF_REQUEST_HEADER_MASKS', default: [] },
  responseHeaderMasks: { kind: 'list', env: 'MOESIF_RESPONSE_HEADER_MASKS', default: [] },
  requestBodyMasks: { kind: 'list', env: 'MOESIF_REQUEST_BODY_MASKS', default: [] },
  responseBodyMasks: { kind: 'list', env: 'MOESIF_RESPONSE_BODY_MASKS', default: [] },
  redactSensitive: { kind: 'boolean', env: 'MOESIF_REDACT_SENSITIVE', default: true },
  authorizationHeaderName: { kind: 'string', env: 'MOESIF_AUTHORIZATION_HEADER_NAME', default: 'authorization' },
  authorizationUserIdField: { kind: 'string', env: 'MOESIF_AUTHORIZATION_USER_ID_FIELD', default: 'sub' },
  batchSize: { kind: 'positiveInt', env: 'MOESIF_BATCH_SIZE', default: 25 },
  // A timer's delay: Node turns anything over 2^31-1 ms into 1 ms (and warns), a batch a millisecond.
  batchMaxTime: { kind: 'positiveInt', env: 'MOESIF_BATCH_MAX_TIME', default: 2000, max: 2_147_483_647 },
  eventQueueSize: { kind: 'positiveInt', env: 'MOESIF_EVENT_QUEUE_SIZE', default: 1_000_000 },
  maxQueueBytes: { kind: 'positiveInt', env: 'MOESIF_MAX_QUEUE_BYTES', default: 64 * 1024 * 1024 },
  captureOutgoingRequests: { kind: 'boolean', env: 'MOESIF_CAPTURE_OUTGOING_REQUESTS', default: false },
  skipOutgoing: { kind: 'function' },
  identifyUserOutgoing: { kind: 'function' },
  identifyCompanyOutgoing: { kind: 'function' },
  getSessionTokenOutgoing: { kind: 'function' },
  getMetadataOutgoing: { kind: 'function' },
  logBodyOutgoing: { kind: 'boolean', env: 'MOESIF_LOG_BODY_OUTGOING', default: true },
  disableTransactionId: { kind: 'boolean', env: 'MOESIF_DISABLE_TRANSACTION_ID', default: false },
  localDebug: { kind: 'boolean', env: 'MOESIF_LOCAL_DEBUG', default: false },
};

export const OPTION_NAMES = Object.keys(OPTIONS) as (keyof MoesifOptions)[];
