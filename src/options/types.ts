import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventModel } from '../event/types.js';

/** Normalized view of an outgoing call given to the *Outgoing hooks; the client's own object is at `.raw`. */
export interface OutgoingRequestView {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body?: unknown;
  raw: unknown;
}
export interface OutgoingResponseView {
  status: number;
  headers: Record<string, string | string[]>;
  body?: unknown;
  raw: unknown;
}

/** Hooks for incoming requests get the server's request and response (the framework's own objects when it decorates them). */
export type IncomingHook<T> = (req: IncomingMessage & Record<string, any>, res: ServerResponse & Record<string, any>) => T;
export type OutgoingHook<T> = (req: OutgoingRequestView, res: OutgoingResponseView) => T;

/** Options of the agent. Every one can also come from the environment variable named in its comment. */
export interface MoesifOptions {
  /** Collector application id. `MOESIF_APPLICATION_ID`. Without it (and without baseUri) the agent stays off. */
  applicationId?: string;
  /** Collector base URI: Moesif, a proxy, or the local collector. `MOESIF_BASE_URI`. Default https://api.moesif.net */
  baseUri?: string;
  /** Capture incoming bodies. `MOESIF_LOG_BODY`. Default true. */
  logBody?: boolean;
  /** Largest request body kept, in bytes. `MOESIF_REQUEST_MAX_BODY_SIZE`. Default 100000. */
  requestMaxBodySize?: number;
  /** Largest response body kept, in bytes. `MOESIF_RESPONSE_MAX_BODY_SIZE`. Default 100000. */
  responseMaxBodySize?: number;
  /** Return true to send no event for this request. */
  skip?: IncomingHook<boolean>;
  /** Returns the user id of the request. */
  identifyUser?: IncomingHook<string | number | undefined | null>;
  /** Returns the company id of the request. */
  identifyCompany?: IncomingHook<string | number | undefined | null>;
  /** Returns the session token of the request. */
  getSessionToken?: IncomingHook<string | undefined | null>;
  /** Returns an object stored as the event's metadata. */
  getMetadata?: IncomingHook<Record<string, unknown> | undefined | null>;
  /** Returns the api_version of the request. */
  getApiVersion?: IncomingHook<string | undefined | null>;
  /** Static api_version. `MOESIF_API_VERSION`. */
  apiVersion?: string;
  /** Returns the event to send; runs last. A throw drops the event (privacy first). */
  maskEventModel?: (event: EventModel) => EventModel;
  /** Request header names removed. `MOESIF_REQUEST_HEADER_MASKS` (comma list). */
  requestHeaderMasks?: string[];
  /** Response header names removed. `MOESIF_RESPONSE_HEADER_MASKS` (comma list). */
  responseHeaderMasks?: string[];
  /** JSON keys removed from request bodies, at any depth. `MOESIF_REQUEST_BODY_MASKS` (comma list). */
  requestBodyMasks?: string[];
  /** JSON keys removed from response bodies, at any depth. `MOESIF_RESPONSE_BODY_MASKS` (comma list). */
  responseBodyMasks?: string[];
  /** Redact credentials, secrets and card numbers. `MOESIF_REDACT_SENSITIVE`. Default true. */
  redactSensitive?: boolean;
  /** Header(s) that carry the user's credentials; comma list, first present wins. `MOESIF_AUTHORIZATION_HEADER_NAME`. Default authorization. */
  authorizationHeaderName?: string;
  /** JWT claim (dotted path allowed) that holds the user id. `MOESIF_AUTHORIZATION_USER_ID_FIELD`. Default sub. */
  authorizationUserIdField?: string;
  /** Events per batch. `MOESIF_BATCH_SIZE`. Default 25. */
  batchSize?: number;
  /** Longest an event waits before its batch is sent, in ms. `MOESIF_BATCH_MAX_TIME`. Default 2000. */
  batchMaxTime?: number;
  /** Events held at most. `MOESIF_EVENT_QUEUE_SIZE`. Default 1000000. */
  eventQueueSize?: number;
  /** Bytes held at most. `MOESIF_MAX_QUEUE_BYTES`. Default 64 MiB. */
  maxQueueBytes?: number;
  /** Capture calls the process makes. `MOESIF_CAPTURE_OUTGOING_REQUESTS`. Default false. */
  captureOutgoingRequests?: boolean;
  /** Return true to send no event for this outgoing call. */
  skipOutgoing?: OutgoingHook<boolean>;
  identifyUserOutgoing?: OutgoingHook<string | number | undefined | null>;
  identifyCompanyOutgoing?: OutgoingHook<string | number | undefined | null>;
  getSessionTokenOutgoing?: OutgoingHook<string | undefined | null>;
  getMetadataOutgoing?: OutgoingHook<Record<string, unknown> | undefined | null>;
  /** Capture outgoing bodies. `MOESIF_LOG_BODY_OUTGOING`. Default true. */
  logBodyOutgoing?: boolean;
  /** Do not add X-Moesif-Transaction-Id. `MOESIF_DISABLE_TRANSACTION_ID`. Default false. */
  disableTransactionId?: boolean;
  /** The agent's own log lines on stderr, prefixed [moesif]. `MOESIF_LOCAL_DEBUG`. Default false. */
  localDebug?: boolean;
}

/** Options after defaults, environment, config module and enable() were merged and checked. */
export type ResolvedOptions = Required<
  Pick<
    MoesifOptions,
    | 'baseUri'
    | 'logBody'
    | 'requestMaxBodySize'
    | 'responseMaxBodySize'
    | 'requestHeaderMasks'
    | 'responseHeaderMasks'
    | 'requestBodyMasks'
    | 'responseBodyMasks'
    | 'redactSensitive'
    | 'authorizationHeaderName'
    | 'authorizationUserIdField'
    | 'batchSize'
    | 'batchMaxTime'
    | 'eventQueueSize'
    | 'maxQueueBytes'
    | 'captureOutgoingRequests'
    | 'logBodyOutgoing'
    | 'disableTransactionId'
    | 'localDebug'
  >
> &
  Omit<MoesifOptions, 'baseUri'>;
