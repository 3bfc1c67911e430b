import { isUtf8 } from 'node:buffer';
import { brotliDecompressSync, gunzipSync, inflateSync, inflateRawSync } from 'node:zlib';
import { CLEAN, NOT_JSON, RawJson, scanJson } from './raw-json.js';
import type { CapturedBody, EventHeaders } from './types.js';

export interface EncodedBody {
  body: unknown;
  transfer_encoding: 'json' | 'base64';
}

/**
 * SPEC §4: JSON that parses is sent as JSON; anything else as base64 of the bytes. Compressed
 * bodies are decoded first, never past the limit; over the limit the body becomes a marker.
 */
export function encodeBody(
  captured: CapturedBody | undefined,
  headers: EventHeaders,
  limit: number,
  side: 'request' | 'response',
): EncodedBody | undefined {
  if (!captured || captured.seen === 0) return undefined;
  const marker = {
    body: { msg: `${side}.body.length exceeded ${side}MaxBodySize of ${limit} bytes` },
    transfer_encoding: 'json' as const,
  };
  if (captured.truncated) return marker;
  if (captured.leftOut) return { body: { msg: `${side}.body left out: the agent's queue was backed up (maxQueueBytes)` }, transfer_encoding: 'json' };
  let bytes = joinChunks(captured.chunks, captured.size);
  const encoding = headerString(headers['content-encoding']).toLowerCase();
  if (encoding && encoding !== 'identity') {
    const decoded = decompress(bytes, encoding, limit);
    if (decoded === 'too-large') return marker;
    if (decoded) bytes = decoded;
  }
  if (bytes.length === 0) return undefined;
  // Valid JSON is kept as its text (parsed later only if something must look inside). JSON text
  // is UTF-8 (RFC 8259 §8.1): bytes that are not would parse only after decoding put U+FFFD in
  // place of what was sent, so they go as base64, as sent.
  if (isJsonType(headerString(headers['content-type'])) && isUtf8(bytes)) {
    const scan = scanJson(bytes);
    if (scan !== NOT_JSON) {
      const text = bytes.toString('utf8');
      return { body: new RawJson(text, scan === CLEAN), transfer_encoding: 'json' };
    }
  }
  return { body: bytes.toString('base64'), transfer_encoding: 'base64' };
}

function headerString(value: string | string[] | undefined): string {
  return value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value;
}

export function isJsonType(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Decodes gzip/br/deflate within the limit; undefined when the bytes do not decode (sent as they are). */
function decompress(bytes: Buffer, encoding: string, limit: number): Buffer | 'too-large' | undefined {
  const options = { maxOutputLength: Math.max(limit, 1) };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(bytes, options);
      case 'br':
        return brotliDecompressSync(bytes, options);
      case 'deflate':
        try {
          return inflateSync(bytes, options);
        } catch (err) {
          if (isTooLarge(err)) throw err;
          return inflateRawSync(bytes, options); // servers that send raw deflate
        }
      default:
        return undefined;
    }
  } catch (err) {
    return isTooLarge(err) ? 'too-large' : undefined;
  }
}

function isTooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE' || (err as RangeError) instanceof RangeError;
}

/**
 * The kept bytes as one Buffer (a string chunk is UTF-8 text, as the capture kept it). Chunks
 * that crossed to the serializer thread arrive as plain Uint8Arrays, hence no Buffer methods.
 */
export function joinChunks(chunks: ReadonlyArray<Uint8Array | string>, size: number): Buffer {
  if (chunks.length === 1) {
    const only = chunks[0]!;
    if (typeof only === 'string') return Buffer.from(only, 'utf8');
    return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const c of chunks) {
    if (typeof c === 'string') at += out.write(c, at, 'utf8');
    else {
      out.set(c, at);
      at += c.byteLength;
    }
  }
  return at === size ? out : out.subarray(0, at);
}
