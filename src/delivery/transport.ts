import { Http1Client, WireError } from './http1.js';
import { safeUri } from '../log.js';

export interface CollectorResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** A network failure or an answer from the collector that was not 2xx. */
export class CollectorError extends Error {
  constructor(message: string, readonly status?: number, readonly retryAfterMs?: number, readonly code?: string) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;
/** Batches in flight (the batcher's limit) plus a config or rules fetch. */
const MAX_SOCKETS = 4;

/**
 * Requests to the collector (SPEC §3): the base URI, the agent's headers, errors as
 * CollectorError. They go through our own small HTTP/1.1 client (http1.ts), which outgoing
 * capture never sees: the agent's own traffic cannot be captured.
 */
export class Transport {
  private readonly client: Http1Client;
  private readonly base: URL;
  private readonly headerLines: string;

  constructor(baseUri: string, headers: Record<string, string>) {
    this.base = new URL(baseUri.endsWith('/') ? baseUri : baseUri + '/');
    this.client = new Http1Client(this.base, MAX_SOCKETS, REQUEST_TIMEOUT_MS);
    // Credentials in the base URI (https://user:pass@host) are sent as Basic auth, as Node's http does.
    const { username, password } = this.base;
    const auth: Record<string, string> = username || password ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}` } : {};
    this.headerLines = headerLines({ ...headers, ...auth });
  }

  /** For messages: without the credentials a base URI may carry. */
  get baseUri(): string {
    return safeUri(this.base.href.replace(/\/$/, ''));
  }

  async send(method: 'GET' | 'POST', path: string, body?: Buffer, extraHeaders?: Record<string, string>, signal?: AbortSignal): Promise<CollectorResponse> {
    const target = new URL(path.replace(/^\//, ''), this.base);
    const lines = extraHeaders ? this.headerLines + headerLines(extraHeaders) : this.headerLines;
    let answer;
    try {
      answer = await this.client.request(method, target.pathname + target.search, lines, body, signal);
    } catch (err) {
      const { code, message } = err as WireError;
      if (code === 'ETIMEDOUT') throw new CollectorError(message, undefined, undefined, code);
      throw new CollectorError(`cannot reach the collector at ${this.baseUri}: ${code === 'ERESPONSE' ? message : code}`, undefined, undefined, code);
    }
    const { status, headers } = answer;
    const text = answer.body.toString('utf8');
    if (status >= 200 && status < 300) return { status, headers, body: text };
    throw new CollectorError(`collector answered ${status} to ${method} ${target.pathname}${text ? `: ${text.slice(0, 200)}` : ''}`, status, retryAfter(headers['retry-after']));
  }

  close(): void {
    this.client.close();
  }
}

/** Header lines for the request head; CR and LF are taken out, so no value can add a header of its own. */
function headerLines(headers: Record<string, string>): string {
  let lines = '';
  for (const name in headers) lines += `${name}: ${String(headers[name]).replace(/[\r\n]/g, '')}\r\n`;
  return lines;
}

/** Retry-After as seconds or an HTTP date, in ms; capped so a bad header cannot stall delivery for long. */
function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 120_000) : undefined;
}
