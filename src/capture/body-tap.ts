import type { CapturedBody } from '../event/types.js';

/** Starts an empty body capture with a limit. */
export function newBody(): CapturedBody {
  return { chunks: [], size: 0, seen: 0, truncated: false };
}

/**
 * Keeps a chunk the stream carried, never past `limit` bytes in total: once over, the kept chunks
 * are released and only the count goes on. The chunk itself is referenced, not copied: Node hands
 * each stream chunk out once, and the app gets the same bytes we keep.
 */
export function tapChunk(body: CapturedBody, chunk: unknown, encoding: unknown, limit: number): void {
  if (chunk === null || chunk === undefined) return;
  let buf: Buffer;
  if (typeof chunk === 'string') {
    if (body.truncated) {
      body.seen += chunk.length;
      return;
    }
    buf = Buffer.from(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  } else if (chunk instanceof Uint8Array) {
    buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  } else {
    return; // object-mode chunks are not HTTP bytes
  }
  body.seen += buf.length;
  if (body.truncated) return;
  if (body.size + buf.length > limit) {
    body.truncated = true;
    body.chunks = [];
    body.size = 0;
    return;
  }
  body.chunks.push(buf);
  body.size += buf.length;
}
