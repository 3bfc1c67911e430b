import http from 'node:http';
import https from 'node:https';
import { safeUri } from '../log.js';
import { markOwnAgent } from './own-traffic.js';

export interface CollectorResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A network failure or an answer from the collector that was not 2xx. */
export class CollectorError extends Error {
  constructor(message: string, readonly status?: number, readonly retryAfterMs?: number, readonly code?: string) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * HTTP to the collector through a keep-alive agent of our own: marked so that outgoing capture
 * ignores it, and with every socket unref'd so it never keeps the app's process alive.
 */
export class Transport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly base: URL;

  constructor(baseUri: string, private readonly headers: Record<string, string>) {
    this.base = new URL(baseUri.endsWith('/') ? baseUri : baseUri + '/');
    const secure = this.base.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 4 }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
    markOwnAgent(this.agent);
    this.request = secure ? https.request : http.request;
  }

  /** For messages: without the credentials a base URI may carry. */
  get baseUri(): string {
    return safeUri(this.base.href.replace(/\/$/, ''));
  }

  send(method: 'GET' | 'POST', path: string, body?: Buffer, extraHeaders?: Record<string, string>, signal?: AbortSignal): Promise<CollectorResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(path.replace(/^\//, ''), this.base);
      const headers: Record<string, string | number> = { ...this.headers, ...extraHeaders };
      if (body) headers['content-length'] = body.length;
      const req = this.request(url, { method, headers, agent: this.agent, signal, timeout: REQUEST_TIMEOUT_MS });
      req.on('socket', (socket) => socket.unref());
      req.on('timeout', () => req.destroy(new CollectorError(`no answer from the collector within ${REQUEST_TIMEOUT_MS} ms`, undefined, undefined, 'ETIMEDOUT')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(err instanceof CollectorError ? err : new CollectorError(`cannot reach the collector at ${this.baseUri}: ${err.code ?? err.message}`, undefined, undefined, err.code ?? err.name));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < 65536) chunks.push(chunk); // answers are small; never hold a huge one
          size += chunk.length;
        });
        res.on('error', (err) => reject(new CollectorError(`collector answer broke off: ${err.message}`)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) return resolve({ status, headers: res.headers, body: text });
          reject(new CollectorError(`collector answered ${status} to ${method} ${url.pathname}${text ? `: ${text.slice(0, 200)}` : ''}`, status, retryAfter(res.headers['retry-after'])));
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Retry-After as seconds or an HTTP date, in ms; capped so a bad header cannot stall delivery for long. */
function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 120_000) : undefined;
}
