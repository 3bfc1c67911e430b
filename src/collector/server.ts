import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { APP_CONFIG, INGEST_ROUTES, itemsOf, type IngestRoute } from './ingest';
import type { EntityKind, Store } from './store';
import { FilterError, parseActionFilter, parseEventFilter } from './summaries';
import type { TerminalPrinter } from './terminal';
import { APP_CSS, APP_JS, PAGE_HTML } from './viewer-page';

/**
 * The HTTP side of the local collector:
 *  - /v1/...   the Moesif collector API (SPEC §3), what agents and Moesif clients send to;
 *  - /api/...  the JSON API the viewer page reads (documented in docs/local-collector.md);
 *  - /, /app.js, /app.css   the viewer page.
 */

export const MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface CollectorServerOptions {
  store: Store;
  printer?: TerminalPrinter;
  /** the address the server is bound to (for the Host check) */
  host: string;
  version: string;
  startedAt: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

const etag = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 16);
const CONFIG_BODY = JSON.stringify(APP_CONFIG);
const CONFIG_ETAG = etag(CONFIG_BODY);
const RULES_BODY = '[]';
const RULES_TAG = etag(RULES_BODY);

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: http.OutgoingHttpHeaders = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function createCollectorServer(opts: CollectorServerOptions): { server: http.Server; closeStreams(): void } {
  const { store, printer } = opts;
  const streams = new Set<http.ServerResponse>();

  const broadcast = (kind: string, count: number) => {
    if (streams.size === 0) return;
    const counts = store.counts();
    const msg = `event: change\ndata: ${JSON.stringify({ kind, count, counts })}\n\n`;
    for (const res of streams) res.write(msg);
  };

  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  async function ingest(req: http.IncomingMessage, res: http.ServerResponse, route: IngestRoute) {
    const raw = await readBody(req, MAX_BODY_BYTES);
    const body = await decode(raw, String(req.headers['content-encoding'] ?? ''));
    if (body.length === 0) throw new HttpError(400, 'the body is empty; expected JSON');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      const gz = body[0] === 0x1f && body[1] === 0x8b;
      throw new HttpError(
        400,
        gz
          ? 'the body is not JSON: it looks gzip-compressed; send it with Content-Encoding: gzip'
          : `the body is not valid JSON (${(err as Error).message})`,
      );
    }
    const checked = itemsOf(route, parsed);
    if ('error' in checked) throw new HttpError(400, checked.error);
    const app = req.headers['x-moesif-application-id'];
    const appId = typeof app === 'string' && app !== '' ? app.slice(0, 256) : undefined;
    const items = checked.items;
    if (items.length > 0) {
      try {
        if (route.kind === 'events') {
          const added = store.addEvents(items, appId);
          printer?.events(added);
        } else if (route.kind === 'actions') {
          const added = store.addActions(items, appId);
          printer?.actions(added);
        } else {
          const merged = store.upsert(route.kind, items as Record<string, unknown>[]);
          printer?.entities(route.kind, merged);
        }
      } catch (err) {
        throw new HttpError(507, `could not store the data: ${(err as Error).message}`);
      }
      broadcast(route.kind, items.length);
    }
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'x-moesif-config-etag': CONFIG_ETAG });
    res.end('{}');
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const parts = url.pathname.split('/').filter(Boolean).slice(1); // drop "api"
    const [what, idText, extra] = parts;
    if (extra !== undefined) throw new HttpError(404, 'no such API path');
    const p = url.searchParams;
    const int = (name: string): number | undefined => {
      const v = p.get(name);
      if (v === null || v === '') return undefined;
      if (!/^\d+$/.test(v)) throw new HttpError(400, `${name}: expected a whole number`);
      return Number(v);
    };
    const page = () => {
      const o: { limit?: number; before?: number; after?: number } = {};
      const limit = int('limit');
      if (limit !== undefined) o.limit = limit;
      const before = int('before');
      if (before !== undefined) o.before = before;
      const after = int('after');
      if (after !== undefined) o.after = after;
      return o;
    };
    const idNum = () => {
      if (!/^\d+$/.test(idText!)) throw new HttpError(404, 'no such id');
      return Number(idText);
    };
    switch (what) {
      case 'events': {
        if (idText === undefined) return json(res, 200, store.queryEvents(parseEventFilter(p), page()));
        const got = store.getEvent(idNum());
        if (!got) throw new HttpError(404, `event ${idText} is not in the store (retention may have removed it)`);
        const out: Record<string, unknown> = { id: got.id, received_at: got.received_at, summary: got.summary, event: got.data };
        if (got.app_id !== undefined) out.app_id = got.app_id;
        return json(res, 200, out);
      }
      case 'actions': {
        if (idText === undefined) return json(res, 200, store.queryActions(parseActionFilter(p), page()));
        const got = store.getAction(idNum());
        if (!got) throw new HttpError(404, `action ${idText} is not in the store`);
        const out: Record<string, unknown> = { id: got.id, received_at: got.received_at, summary: got.summary, action: got.data };
        if (got.app_id !== undefined) out.app_id = got.app_id;
        return json(res, 200, out);
      }
      case 'users':
      case 'companies':
      case 'subscriptions': {
        const kind = what as EntityKind;
        if (idText === undefined) return json(res, 200, store.listEntities(kind, p.get('q') ?? undefined, int('limit') ?? 500));
        let id: string;
        try {
          id = decodeURIComponent(idText);
        } catch {
          throw new HttpError(400, 'bad id');
        }
        const got = store.getEntity(kind, id);
        if (!got) throw new HttpError(404, `${kind}: ${id.slice(0, 80)} is not in the store`);
        return json(res, 200, got);
      }
      case 'stats':
        if (idText !== undefined) break;
        return json(res, 200, {
          version: opts.version,
          started_at: opts.startedAt,
          data_dir: store.dataDir,
          retention: store.retention,
          counts: store.counts(),
        });
      case 'stream': {
        if (idText !== undefined) break;
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
        });
        res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ counts: store.counts() })}\n\n`);
        streams.add(res);
        const drop = () => streams.delete(res);
        req.on('close', drop);
        res.on('close', drop);
        return;
      }
    }
    throw new HttpError(404, 'no such API path');
  }

  function serve(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    const asset =
      url.pathname === '/' || url.pathname === '/index.html'
        ? { type: 'text/html; charset=utf-8', body: PAGE_HTML }
        : url.pathname === '/app.js'
          ? { type: 'text/javascript; charset=utf-8', body: APP_JS }
          : url.pathname === '/app.css'
            ? { type: 'text/css; charset=utf-8', body: APP_CSS }
            : undefined;
    if (!asset) return false;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://collector.invalid');
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    const route = INGEST_ROUTES[pathname];
    if (route) {
      if (method !== 'POST') throw new HttpError(405, `${pathname} takes POST`);
      return ingest(req, res, route);
    }
    if (pathname === '/v1/config' || pathname === '/v1/rules') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${pathname} takes GET`);
      const config = pathname === '/v1/config';
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        [config ? 'x-moesif-config-etag' : 'x-moesif-rules-tag']: config ? CONFIG_ETAG : RULES_TAG,
      });
      res.end(method === 'HEAD' ? undefined : config ? CONFIG_BODY : RULES_BODY);
      return;
    }
    if (pathname.startsWith('/v1/')) throw new HttpError(404, `the local collector has no ${pathname.slice(0, 100)}`);

    // Everything below shows captured data: only to pages loaded from this collector by name.
    if (!hostAllowed(req.headers.host, opts.host)) {
      throw new HttpError(403, 'this Host is not allowed: open the viewer at http://127.0.0.1:<port>/ or http://localhost:<port>/');
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'the viewer and /api/ take GET');
    if (pathname === '/api' || pathname.startsWith('/api/')) return api(req, res, url);
    if (serve(req, res, url)) return;
    if (pathname === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    throw new HttpError(404, 'not found');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof FilterError ? 400 : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 500) process.stderr.write(`moesif dev: ${req.method} ${req.url}: ${(err as Error)?.stack ?? message}\n`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: http.OutgoingHttpHeaders = { ...SECURITY_HEADERS };
      if (status === 413) headers.connection = 'close';
      json(res, status, { error: message }, headers);
    });
  });
  // Run in the same process as an agent (the demo, tests), the collector is not the app: not captured.
  (server as unknown as Record<symbol, boolean>)[Symbol.for('moesif.ignoreServer')] = true;
  // Agents keep connections open; let a restart not wait on them.
  server.keepAliveTimeout = 5_000;

  return {
    server,
    closeStreams() {
      clearInterval(heartbeat);
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = SECURITY_HEADERS) {
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith('.localhost');
}

/**
 * DNS-rebinding guard: when the collector listens on loopback, a page from another site that
 * rebinds its name to 127.0.0.1 still sends its own name as Host; such requests do not get to
 * read captured data.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!hostHeader) return true;
  if (!isLoopback(boundHost)) return true;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d*$/, '');
  return isLoopback(name) || name.toLowerCase() === boundHost.toLowerCase();
}

function readBody(req: http.IncomingMessage, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      req.resume();
      reject(new HttpError(413, `the body is larger than ${cap} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > cap) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, `the body is larger than ${cap} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

async function decode(raw: Buffer, encodingHeader: string): Promise<Buffer> {
  const encoding = encodingHeader.trim().toLowerCase();
  const limit = { maxOutputLength: MAX_BODY_BYTES };
  const tooLarge = (err: unknown) =>
    (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError
      ? new HttpError(413, `the decompressed body is larger than ${MAX_BODY_BYTES} bytes`)
      : undefined;
  try {
    switch (encoding) {
      case '':
      case 'identity':
        return raw;
      case 'gzip':
      case 'x-gzip':
        return await gunzip(raw, limit);
      case 'deflate':
        try {
          return await inflate(raw, limit);
        } catch (err) {
          if (tooLarge(err)) throw err;
          return await inflateRaw(raw, limit);
        }
      case 'br':
        return await brotli(raw, limit);
      default:
        throw new HttpError(415, `Content-Encoding ${encoding.slice(0, 40)} is not supported (use gzip or none)`);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw tooLarge(err) ?? new HttpError(400, `the body is not valid ${encoding} data`);
  }
}
