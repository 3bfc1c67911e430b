// Shared by the governance tests: an app that records what its handler saw, and event lookup.
import { createHash, randomBytes } from 'node:crypto';
import { startApp } from '../support/app.mjs';

/**
 * A node:http app whose handler records each request it got (method, url, body bytes) and
 * answers: /fail → 503, anything else → 200 JSON { method, url, length, sha256, text }.
 */
export async function startRecordingApp() {
  const handled = [];
  const app = await startApp(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    handled.push({ method: req.method, url: req.url, body });
    const digest = createHash('sha256').update(body).digest('hex');
    res.writeHead(req.url.startsWith('/fail') ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, length: body.length, sha256: digest, text: body.length < 2000 ? body.toString('utf8') : undefined }));
  });
  return {
    ...app,
    handled,
    /** Whether the handler saw a request whose url contains `tag`. */
    saw: (tag) => handled.some((h) => h.url.includes(tag)),
  };
}

/** A path with a unique query tag, so each request's event can be found. */
export function tagged(path) {
  const hex = randomBytes(6).toString('hex');
  // A letter in the middle: 12 hex digits can all be decimal and pass Luhn, and get redacted.
  const tag = `t=${hex.slice(0, 6)}g${hex.slice(6)}`;
  return { path: `${path}${path.includes('?') ? '&' : '?'}${tag}`, tag };
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

export function json(response) {
  return JSON.parse(response.body.toString('utf8'));
}
