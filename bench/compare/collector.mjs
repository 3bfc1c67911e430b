// The bench's counting collector, in its own process (pinned with the load generator, away from
// the app). One port, one path prefix per configuration:
//   /<source>/v1/events/batch   Moesif format (ours, moesif-nodejs): answered 201 at once;
//                               gunzipped, parsed, counted and body-checked later
//   /<source>/v1/config|rules   a plain config ({"sample_rate":100}) / no rules
//   /otel/v1/traces             OTLP/JSON (the OTLP/HTTP exporter's default encoding): answered 200 {}
//                               at once; spans counted later
//   GET /count                  decodes what came in since the last call, then answers the totals
//                               per source as JSON
// Decoding waits for /count, which the runner calls only after the load of a measurement ended,
// so decoding 64 KB events never takes CPU from the load generator while it loads.
// Prints `listening <port>`.
import http from 'node:http';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';

const pending = [];
const totals = {};
const source = (name) => (totals[name] ??= { batches: 0, events: 0, byPath: {}, checked: 0, bodyOk: 0, bodyBad: 0, bodyLeftOut: 0, badSample: null, errors: 0, kinds: {} });

function decode(buf, encoding) {
  if (encoding === 'gzip') return gunzipSync(buf);
  if (encoding === 'deflate') return inflateSync(buf);
  if (encoding === 'br') return brotliDecompressSync(buf);
  return buf;
}

/** A captured body as the app saw it: JSON parsed where it is JSON, base64 decoded first where so marked. */
function bodyOf(side) {
  let b = side?.body;
  const te = side?.transfer_encoding ?? side?.transferEncoding;
  if (te === 'base64' && typeof b === 'string') b = Buffer.from(b, 'base64').toString('utf8');
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {}
  }
  return b;
}

import payloads from './payloads.cjs';

const { echoData, bigItems } = payloads;
// What each path's captured bodies must hold (the app's real bytes, decoded).
const checks = {
  '/small': (e) => bodyOf(e.response)?.ok === true,
  '/echo': (e) => bodyOf(e.request)?.data === echoData && bodyOf(e.response)?.data === echoData,
  '/big': (e) => bodyOf(e.response)?.items?.length === bigItems,
  '/up/echo': (e) => bodyOf(e.request)?.user === 'bench' && bodyOf(e.response)?.ok === true,
  '/up/json': (e) => bodyOf(e.response)?.id === 123,
};

function pathOf(uri) {
  try {
    return new URL(uri, 'http://x').pathname;
  } catch {
    return String(uri);
  }
}

/** Our agent's marker for a body it left out because its queue was backed up (README: stats().bodiesLeftOut). */
function leftOut(body) {
  return typeof body?.msg === 'string' && body.msg.includes('left out: the agent');
}

function digest() {
  for (const { name, kind, buf, encoding } of pending.splice(0)) {
    const s = source(name);
    try {
      const doc = JSON.parse(decode(buf, encoding).toString('utf8'));
      s.batches++;
      if (kind === 'moesif') {
        for (const e of Array.isArray(doc) ? doc : [doc]) {
          s.events++;
          const path = pathOf(e.request?.uri);
          s.byPath[path] = (s.byPath[path] ?? 0) + 1;
          const check = checks[path];
          if (!check) continue;
          s.checked++;
          if (check(e)) s.bodyOk++;
          else if (leftOut(e.request?.body) || leftOut(e.response?.body)) s.bodyLeftOut++; // ours, under a backlog: marker, counted apart
          else {
            s.bodyBad++;
            s.badSample ??= JSON.stringify({ uri: e.request?.uri, request: e.request?.body, response: e.response?.body }).slice(0, 400);
          }
        }
      } else {
        for (const rs of doc.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) {
              s.events++;
              s.kinds[span.kind] = (s.kinds[span.kind] ?? 0) + 1;
            }
      }
    } catch (err) {
      s.errors++;
      s.lastError = String(err).slice(0, 200);
    }
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const [, name, ...rest] = req.url.split('/');
    const path = '/' + rest.join('/');
    if (req.url === '/count') {
      digest();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(totals));
    }
    if (req.method === 'POST' && path === '/v1/events/batch') {
      pending.push({ name, kind: 'moesif', buf: Buffer.concat(chunks), encoding: req.headers['content-encoding'] });
      res.writeHead(201, { 'content-type': 'application/json' });
      return res.end();
    }
    if (req.method === 'POST' && path === '/v1/traces') {
      pending.push({ name, kind: 'otlp', buf: Buffer.concat(chunks), encoding: req.headers['content-encoding'] });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }
    if (path === '/v1/config') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"sample_rate":100}');
    }
    if (path === '/v1/rules') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('[]');
    }
    res.writeHead(201, { 'content-type': 'application/json' }); // users, companies, actions
    res.end();
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
