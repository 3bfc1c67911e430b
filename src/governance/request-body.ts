import type { IncomingMessage } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { isJsonType } from '../event/body.js';

/**
 * The request body, read before the app's handler sees the request, for rules whose conditions
 * look at request.body.* (GraphQL operationName and query among them). Only then: requests that
 * no such rule could apply to are never held.
 *
 * How: the HTTP parser hands each body chunk to `req.push()`. While the body is held, an
 * own-property `push` on this one request keeps the chunks (and tells the parser to go on
 * reading); when the body has ended — or passed `limit` bytes, or the client went away — the
 * property is removed and the chunks are pushed, in order, through the real push (and so through
 * the capture's tap), followed by the end if it came. The stream has not been read by anyone
 * before that, so the app reads the same bytes, in the same modes, as without the agent; it only
 * gets the request once the body is in (at most `limit` bytes held; past that the rest flows
 * normally and body conditions see no body).
 */
export interface HeldBody {
  bytes: Buffer | undefined;
  /** Over the limit, or the client went away before the end: conditions see no body. */
  complete: boolean;
}

export function hasBody(req: IncomingMessage): boolean {
  // HTTP/2 needs no length or framing header: the stream says whether a body follows its headers.
  const stream = (req as { stream?: { endAfterHeaders?: boolean } }).stream;
  if (stream !== undefined && typeof stream.endAfterHeaders === 'boolean') return !stream.endAfterHeaders;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Holds one request's body from now on (call it before anything reads the request). The result
 * comes once the body ended, passed the limit, or the client went away — or at once, without
 * the body, on cancel() (when it turns out no rule needs it): the chunks held so far are handed
 * back to the stream then, and the rest flows as usual.
 */
export class BodyHold {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private result: HeldBody | undefined;
  private waiting: ((body: HeldBody) => void) | undefined;
  private readonly previous: PropertyDescriptor | undefined;
  private readonly onClose = () => this.release(false, false);

  constructor(private readonly req: IncomingMessage, private readonly limit: number) {
    this.previous = Object.getOwnPropertyDescriptor(req, 'push');
    const hold = this;
    Object.defineProperty(req, 'push', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function push(chunk: unknown, encoding?: BufferEncoding): boolean {
        return hold.push(chunk, encoding);
      },
    });
    req.once('close', this.onClose);
    // HTTP/2's compatibility request starts taking its stream's data at its first read: ask for
    // it (read(0) consumes nothing), so the chunks come to the hold, bounded by the limit.
    if ((req as { stream?: unknown }).stream !== undefined) req.read(0);
  }

  /** Calls `done` (on a later tick, never inside the parser's callback) with the body. */
  whenDone(done: (body: HeldBody) => void): void {
    if (this.result) process.nextTick(done, this.result);
    else this.waiting = done;
  }

  cancel(): void {
    this.release(false, false);
  }

  private push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (this.result) return Object.getPrototypeOf(this.req).push.call(this.req, chunk, encoding);
    if (chunk === null) {
      this.release(true, true);
      return false;
    }
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
    this.chunks.push(buffer);
    this.size += buffer.length;
    if (this.size > this.limit) return this.release(false, false);
    return true; // go on reading: the body is held here, bounded by limit
  }

  private release(ended: boolean, complete: boolean): boolean {
    if (this.result) return true;
    const req = this.req;
    const chunks = this.chunks;
    this.result = { bytes: complete ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)) : undefined, complete };
    req.removeListener('close', this.onClose);
    if (this.previous) Object.defineProperty(req, 'push', this.previous);
    else delete (req as { push?: unknown }).push;
    const target = req as unknown as { push: (chunk: unknown) => boolean };
    let more = true;
    for (const chunk of chunks) more = target.push(chunk);
    if (ended) target.push(null);
    chunks.length = 0;
    if (this.waiting) {
      process.nextTick(this.waiting, this.result);
      this.waiting = undefined;
    }
    return more;
  }
}

/**
 * What request.body.* conditions look at: JSON (application/json, +json, or no type and JSON
 * text), form fields, or an application/graphql document as { query }. Content-Encoding gzip,
 * deflate and br are decoded within the limit. A GET carrying GraphQL in its query string
 * (`?query=…&operationName=…`) is seen as a body of those fields. Anything else: no body.
 */
export function parseBody(bytes: Buffer | undefined, req: IncomingMessage, limit: number): unknown {
  if (bytes === undefined || bytes.length === 0) return graphqlFromQuery(req.url ?? '/');
  const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  let decoded: Buffer | undefined = bytes;
  if (encoding !== '' && encoding !== 'identity') decoded = decode(bytes, encoding, limit);
  if (decoded === undefined) return undefined;
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const text = decoded.toString('utf8');
  if (isJsonType(type) || (type === '' && /^\s*[[{]/.test(text))) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (type.startsWith('application/graphql')) return { query: text };
  return undefined;
}

function graphqlFromQuery(url: string): unknown {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const params = new URLSearchParams(url.slice(q + 1));
  const query = params.get('query');
  const operationName = params.get('operationName');
  if (query === null && operationName === null) return undefined;
  const out: Record<string, string> = {};
  if (query !== null) out.query = query;
  if (operationName !== null) out.operationName = operationName;
  return out;
}

function decode(bytes: Buffer, encoding: string, limit: number): Buffer | undefined {
  const options = { maxOutputLength: Math.max(limit, 1) };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(bytes, options);
    if (encoding === 'br') return brotliDecompressSync(bytes, options);
    if (encoding === 'deflate') {
      try {
        return inflateSync(bytes, options);
      } catch {
        return inflateRawSync(bytes, options);
      }
    }
  } catch {
    /* does not decode, or decodes past the limit: no body */
  }
  return undefined;
}
