/** Header map as sent to the collector: lower-case names; set-cookie stays a list as sent. */
export type EventHeaders = Record<string, string | string[]>;

/** The Moesif collector event (SPEC §3). Fields with no value are absent, never null. */
export interface EventModel {
  request: {
    time: string;
    uri: string;
    verb: string;
    api_version?: string;
    ip_address?: string;
    headers: EventHeaders;
    body?: unknown;
    transfer_encoding?: 'json' | 'base64';
  };
  response?: {
    time: string;
    status: number;
    headers: EventHeaders;
    body?: unknown;
    transfer_encoding?: 'json' | 'base64';
  };
  user_id?: string;
  company_id?: string;
  session_token?: string;
  metadata?: Record<string, unknown>;
  direction: 'Incoming' | 'Outgoing';
  weight?: number;
  blocked_by?: string;
}

/** A body as the capture saw it: bounded raw bytes, decoded later off the request path. */
export interface CapturedBody {
  /**
   * Chunks as observed, at most the limit in total; a string is UTF-8 text the app wrote, kept
   * as it was (not encoded on the request path). Joined once, in the batcher.
   */
  chunks: Array<Buffer | string>;
  /** Bytes kept in chunks. */
  size: number;
  /** Bytes seen in all (may exceed size). */
  seen: number;
  /** More than the limit was seen: the event gets the over-limit marker. */
  truncated: boolean;
  /** Left out to fit the queue's byte bound (chunks emptied): the event gets a marker instead. */
  leftOut?: boolean;
}

/**
 * Header input in any of Node's shapes: an object from getHeaders(), a raw [name, value, …] list,
 * or the header block as written to the wire (status line first), as OutgoingMessage keeps it.
 */
export type RawHeaders = Record<string, string | string[] | number | undefined> | string[] | string;

/**
 * Everything a capture module knows about one exchange, gathered cheaply on the request path.
 * The batcher turns it into an EventModel later (build, identify, redact, mask).
 */
export interface Exchange {
  direction: 'Incoming' | 'Outgoing';
  /** Epoch milliseconds. */
  startTime: number;
  endTime: number;
  method: string;
  /** Absolute URL with query. */
  url: string;
  requestHeaders: RawHeaders;
  requestBody?: CapturedBody;
  /** Status; 0 when no response came (see README for failed calls). */
  status: number;
  responseHeaders: RawHeaders;
  responseBody?: CapturedBody;
  /** Socket address of the peer (incoming) used when no proxy header names a client. */
  remoteAddress?: string;
  /** Values the hooks or the framework gave; may be promises from async hooks. */
  userId?: unknown;
  companyId?: unknown;
  sessionToken?: unknown;
  metadata?: unknown;
  apiVersion?: unknown;
  blockedBy?: string;
  /** Limits in force when captured, for the over-limit marker. */
  requestLimit: number;
  responseLimit: number;
}
