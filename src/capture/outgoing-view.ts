import { encodeBody, isJsonType } from '../event/body.js';
import { RawJson } from '../event/raw-json.js';
import { normalizeHeaders } from '../event/headers.js';
import type { CapturedBody, EventHeaders } from '../event/types.js';
import type { OutgoingRequestView, OutgoingResponseView } from '../options/types.js';
import type { OutgoingRecord } from './outgoing-capture.js';

/**
 * The (request, response) pair the *Outgoing hooks get: the same shape for every client, with the
 * client's own objects at `.raw` (http: ClientRequest / IncomingMessage; undici and fetch: undici's
 * request and its `{ statusCode, statusText, headers }`; a failed call: the Error). Headers and
 * bodies are worked out only when a hook reads them.
 *
 * body: parsed JSON for JSON types, a string for text types, else a Buffer; undefined when not
 * captured (logBodyOutgoing off, nothing sent, or over the size limit). Compressed bodies are
 * decoded first.
 *
 * Views are class instances (an object literal with getters costs V8 a fresh hidden class per
 * call, which showed as GC pressure on every call with a hook): method, url, status and raw are
 * plain properties, headers and body getters; toJSON() gives all of them.
 */
export function makeViews(rec: OutgoingRecord, logBody: boolean): [OutgoingRequestView, OutgoingResponseView] {
  return [new RequestView(rec, logBody), new ResponseView(rec, logBody)];
}

/** Headers and body of one side of the call, worked out on first read. */
abstract class SideView {
  readonly raw: unknown;
  #headers: EventHeaders | undefined;
  #body: { value: unknown } | undefined;
  constructor(
    raw: unknown,
    private readonly rawHeaders: OutgoingRecord['requestHeaders'],
    private readonly captured: CapturedBody | undefined,
    private readonly limit: number,
    private readonly logBody: boolean,
  ) {
    this.raw = raw;
  }
  get headers(): EventHeaders {
    return (this.#headers ??= normalizeHeaders(this.rawHeaders));
  }
  get body(): unknown {
    if (!this.logBody) return undefined;
    return (this.#body ??= { value: viewBody(this.captured, this.headers, this.limit) }).value;
  }
}

class RequestView extends SideView implements OutgoingRequestView {
  readonly method: string;
  readonly url: string;
  constructor(rec: OutgoingRecord, logBody: boolean) {
    super(rec.rawRequest, rec.requestHeaders, rec.requestBody, rec.requestLimit, logBody);
    this.method = rec.method;
    this.url = rec.url;
  }
  toJSON(): object {
    return { method: this.method, url: this.url, headers: this.headers, body: this.body };
  }
}

class ResponseView extends SideView implements OutgoingResponseView {
  readonly status: number;
  constructor(rec: OutgoingRecord, logBody: boolean) {
    super(rec.rawResponse ?? (rec.error instanceof Error ? rec.error : undefined), rec.responseHeaders, rec.responseBody, rec.responseLimit, logBody);
    this.status = rec.status;
  }
  toJSON(): object {
    return { status: this.status, headers: this.headers, body: this.body };
  }
}

function viewBody(captured: CapturedBody | undefined, headers: EventHeaders, limit: number): unknown {
  if (!captured || captured.truncated) return undefined;
  const encoded = encodeBody(captured, headers, limit, 'request');
  if (!encoded) return undefined;
  if (encoded.transfer_encoding === 'json') {
    const marker = encoded.body as { msg?: unknown } | null;
    // Decoded past the limit: the event gets the over-limit marker, the hook no body.
    if (typeof marker?.msg === 'string' && marker.msg === `request.body.length exceeded requestMaxBodySize of ${limit} bytes`) return undefined;
    return encoded.body instanceof RawJson ? encoded.body.value : encoded.body; // hooks see objects
  }
  const bytes = Buffer.from(encoded.body as string, 'base64');
  const type = String(headers['content-type'] ?? '').toLowerCase();
  if (isTextType(type)) return bytes.toString('utf8');
  return bytes;
}

function isTextType(type: string): boolean {
  return (
    type.startsWith('text/') ||
    type.startsWith('application/x-www-form-urlencoded') ||
    type.includes('xml') ||
    type.includes('javascript') ||
    isJsonType(type) // JSON that did not parse
  );
}
