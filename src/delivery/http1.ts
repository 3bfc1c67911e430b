import net from 'node:net';
import tls from 'node:tls';

/** An answer as read off the wire: status, lower-cased headers (repeats joined by ", "), body bytes. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A failure below HTTP: refused, reset, timed out, aborted, or an answer that is not HTTP/1.1. */
export class WireError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 1024 * 1024; // collector answers are small; a huge one is a wrong server

/**
 * A minimal HTTP/1.1 client for the collector: keep-alive sockets, one request at a time on
 * each, Content-Length or chunked answers. Node's http.request costs about four times the CPU of
 * this per request (its ClientRequest/IncomingMessage/agent machinery runs for every batch, and a
 * batch is only batchSize events), and requests made here are invisible to outgoing capture and
 * to other instrumentation by construction. Sockets are unref'd: they never keep the app alive.
 */
export class Http1Client {
  private readonly idle: Connection[] = [];
  private open = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly maxSockets: number,
    private readonly timeoutMs: number,
  ) {}

  async request(method: string, path: string, headerLines: string, body: Buffer | undefined, signal?: AbortSignal): Promise<WireResponse> {
    if (signal?.aborted) throw new WireError('aborted', 'ABORT_ERR');
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.url.host}\r\n${headerLines}Content-Length: ${body?.length ?? 0}\r\n\r\n`;
    let conn = await this.acquire(signal);
    try {
      return await conn.exchange(head, body, signal);
    } catch (err) {
      // A kept-alive socket the collector closed while idle fails before any answer: that is not
      // the collector's answer, so try once more on a fresh socket.
      if (!(conn.reused && conn.nothingRead && (err as WireError).code !== 'ABORT_ERR' && (err as WireError).code !== 'ETIMEDOUT')) throw err;
      this.release(conn, false);
      conn = await this.acquire(signal, true);
      return await conn.exchange(head, body, signal);
    } finally {
      this.release(conn, conn.reusable);
    }
  }

  private async acquire(signal?: AbortSignal, fresh = false): Promise<Connection> {
    for (;;) {
      if (this.closed) throw new WireError('client closed', 'ECONNABORTED');
      if (!fresh) {
        const conn = this.idle.pop();
        if (conn) {
          conn.busy = true;
          return conn;
        }
      }
      if (this.open < this.maxSockets) {
        this.open++;
        const conn: Connection = new Connection(this.url, this.timeoutMs, () => this.forget(conn));
        return conn;
      }
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(wake), 1);
          reject(new WireError('aborted', 'ABORT_ERR'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(wake);
      });
    }
  }

  private release(conn: Connection, reusable: boolean): void {
    if (!conn.busy) return;
    conn.busy = false;
    if (reusable && !this.closed) {
      conn.reused = true;
      this.idle.push(conn);
    } else conn.destroy();
    this.waiting.shift()?.();
  }

  private forget(conn: Connection): void {
    this.open--;
    const at = this.idle.indexOf(conn);
    if (at !== -1) this.idle.splice(at, 1);
    this.waiting.shift()?.();
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
    for (const wake of this.waiting.splice(0)) wake();
  }
}

type Pending = {
  resolve: (res: WireResponse) => void;
  reject: (err: WireError) => void;
};

/** One socket to the collector and the answer being read on it. */
class Connection {
  busy = true;
  reused = false;
  /** No byte of the current answer has arrived (a failure then may be a stale keep-alive socket). */
  nothingRead = true;
  /** The socket may carry another request (the answer was complete and did not say close). */
  reusable = false;
  private readonly socket: net.Socket;
  private pending: Pending | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private dead = false;

  constructor(url: URL, timeoutMs: number, onGone: () => void) {
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    this.socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
        : net.connect({ host, port });
    this.socket.unref();
    this.socket.setNoDelay(true);
    this.socket.setTimeout(timeoutMs, () => this.fail(new WireError(`no answer from the collector within ${timeoutMs} ms`, 'ETIMEDOUT')));
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new WireError(err.message, err.code ?? 'ECONNRESET')));
    this.socket.on('close', () => {
      this.dead = true;
      this.fail(new WireError('connection closed before the answer', 'ECONNRESET'));
      onGone();
    });
  }

  exchange(head: string, body: Buffer | undefined, signal?: AbortSignal): Promise<WireResponse> {
    this.nothingRead = true;
    this.reusable = false;
    this.chunks = [];
    this.size = 0;
    if (this.dead) return Promise.reject(new WireError('connection closed', 'ECONNRESET'));
    return new Promise<WireResponse>((resolve, reject) => {
      const onAbort = () => this.fail(new WireError('aborted', 'ABORT_ERR'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = {
        resolve: (res) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(res);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.socket.cork();
      this.socket.write(head, 'latin1');
      if (body && body.length) this.socket.write(body);
      this.socket.uncork();
    });
  }

  private onData(data: Buffer): void {
    if (!this.pending) return void this.socket.destroy(); // nothing asked: not a server we understand
    this.nothingRead = false;
    this.chunks.push(data);
    this.size += data.length;
    if (this.size > MAX_HEAD + MAX_BODY) return this.fail(new WireError('collector answer too large', 'ERESPONSE'));
    this.tryParse(false);
  }

  private onEnd(): void {
    if (this.pending) this.tryParse(true);
  }

  /** Parses the answer once it is complete; `ended`: the collector closed its side. */
  private tryParse(ended: boolean): void {
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [buf];
    let start = 0;
    for (;;) {
      const headEnd = buf.indexOf('\r\n\r\n', start, 'latin1');
      if (headEnd === -1) {
        if (buf.length - start > MAX_HEAD) this.fail(new WireError('collector answer head too large', 'ERESPONSE'));
        else if (ended) this.fail(new WireError('connection closed before the answer', 'ECONNRESET'));
        return;
      }
      const head = parseHead(buf.toString('latin1', start, headEnd));
      if (!head) return this.fail(new WireError('collector answer is not HTTP/1.1', 'ERESPONSE'));
      const bodyStart = headEnd + 4;
      if (head.status >= 100 && head.status < 200) {
        start = bodyStart; // 100 Continue and other interim answers: the real one follows
        continue;
      }
      const closes = (head.headers.connection ?? '').toLowerCase().includes('close') || head.version === '1.0';
      let body: Buffer | undefined;
      let rest = 0;
      if (head.status === 204 || head.status === 304) body = Buffer.alloc(0);
      else if ((head.headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
        const chunked = unchunk(buf, bodyStart);
        if (chunked === 'bad') return this.fail(new WireError('bad chunked answer', 'ERESPONSE'));
        if (chunked === undefined) return ended ? this.fail(new WireError('answer cut short', 'ECONNRESET')) : undefined;
        body = chunked.body;
        rest = buf.length - chunked.end;
      } else if (head.headers['content-length'] !== undefined) {
        const length = Number(head.headers['content-length']);
        if (!Number.isInteger(length) || length < 0 || length > MAX_BODY) return this.fail(new WireError('bad content-length', 'ERESPONSE'));
        if (buf.length - bodyStart < length) return ended ? this.fail(new WireError('answer cut short', 'ECONNRESET')) : undefined;
        body = buf.subarray(bodyStart, bodyStart + length);
        rest = buf.length - bodyStart - length;
      } else {
        if (!ended) return; // read until the collector closes
        body = buf.subarray(bodyStart);
      }
      const pending = this.pending!;
      this.pending = undefined;
      this.chunks = [];
      this.size = 0;
      this.reusable = !closes && !ended && rest === 0 && !this.dead;
      pending.resolve({ status: head.status, headers: head.headers, body });
      return;
    }
  }

  private fail(err: WireError): void {
    const pending = this.pending;
    this.pending = undefined;
    this.reusable = false;
    if (!this.dead) this.socket.destroy();
    pending?.reject(err);
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

function parseHead(text: string): { version: string; status: number; headers: Record<string, string> } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(1\.[01]) (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { version: m[1]!, status: Number(m[2]), headers };
}

/** A chunked body from `at`: the bytes and where the message ends, undefined while incomplete. */
function unchunk(buf: Buffer, at: number): { body: Buffer; end: number } | undefined | 'bad' {
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) return undefined;
    const size = parseInt(buf.toString('latin1', at, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isInteger(size) || size < 0) return 'bad';
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers, if any, end with an empty line.
      const end = buf.indexOf('\r\n\r\n', at - 2, 'latin1');
      return end === -1 ? undefined : { body: Buffer.concat(parts), end: end + 4 };
    }
    if (buf.length < at + size + 2) return undefined;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}
