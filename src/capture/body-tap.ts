import type { CapturedBody } from '../event/types.js';

/** Starts an empty body capture with a limit. */
export function newBody(): CapturedBody {
  return { chunks: [], size: 0, seen: 0, truncated: false };
}

/**
 * Keeps a chunk the stream carried, never past `limit` bytes in total: once over, the kept chunks
 * are released and only the count goes on. Nothing is copied on the request path: a Buffer chunk
 * is referenced (Node hands each stream chunk out once, and the app gets the same bytes we keep),
 * and a UTF-8 string (what res.write('…')/res.end(JSON.stringify(…)) pass) is kept as the string
 * itself, encoded only when the event is assembled. Strings in other encodings are encoded now.
 */
export function tapChunk(body: CapturedBody, chunk: unknown, encoding: unknown, limit: number): void {
  if (chunk === null || chunk === undefined) return;
  let kept: Buffer | string;
  let length: number;
  if (typeof chunk === 'string') {
    if (body.truncated) {
      body.seen += chunk.length;
      return;
    }
    if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' || isUtf8(encoding)) {
      kept = chunk;
      length = Buffer.byteLength(chunk, 'utf8');
    } else {
      kept = Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
      length = kept.length;
    }
  } else if (chunk instanceof Uint8Array) {
    kept = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    length = kept.length;
  } else {
    return; // object-mode chunks are not HTTP bytes
  }
  body.seen += length;
  if (body.truncated) return;
  if (body.size + length > limit) {
    body.truncated = true;
    body.chunks = [];
    body.size = 0;
    return;
  }
  body.chunks.push(kept);
  body.size += length;
}

function isUtf8(encoding: unknown): boolean {
  if (typeof encoding !== 'string') return true; // Node writes non-string encodings as UTF-8
  const e = encoding.toLowerCase();
  return e === 'utf8' || e === 'utf-8' || !Buffer.isEncoding(e);
}

/** tapChunk for taps inside the app's stream calls: a capture bug must never reach the app's stream. */
export function tapSafely(body: CapturedBody, chunk: unknown, encoding: unknown, limit: number): void {
  try {
    tapChunk(body, chunk, typeof encoding === 'string' ? encoding : undefined, limit);
  } catch {
    /* the chunk goes uncounted; the app's write or read goes on */
  }
}
