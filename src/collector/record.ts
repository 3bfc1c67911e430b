import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/**
 * One stored record is one line: `<crc32 of the JSON, 8 hex digits> <JSON>\n`.
 * JSON.stringify never emits a raw newline, so a line is a record; the checksum tells a
 * complete line from a torn or damaged one, which is then skipped instead of failing the load.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Js(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// zlib.crc32 is native (Node 20.15+, 22.2+); the table version is the fallback.
const nativeCrc = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
export const crc32: (buf: Uint8Array) => number =
  typeof nativeCrc === 'function' ? (b) => nativeCrc(b) >>> 0 : crc32Js;

const NL = 0x0a;
const HEAD = 9; // 8 hex digits and a space

export function encodeRecord(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const out = Buffer.allocUnsafe(HEAD + json.length + 1);
  out.write(crc32(json).toString(16).padStart(8, '0'), 0, 'latin1');
  out[8] = 0x20;
  json.copy(out, HEAD);
  out[out.length - 1] = NL;
  return out;
}

/** Decodes one line (without its newline); undefined when the line is damaged. */
export function decodeLine(buf: Buffer, start: number, end: number): unknown {
  if (end - start < HEAD + 2 || buf[start + 8] !== 0x20) return undefined;
  const hex = buf.toString('latin1', start, start + 8);
  if (!/^[0-9a-f]{8}$/.test(hex)) return undefined;
  const want = parseInt(hex, 16);
  const json = buf.subarray(start + HEAD, end);
  if (crc32(json) !== want) return undefined;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface ScannedRecord {
  value: unknown;
  /** byte offset of the line in the file */
  offset: number;
  /** byte length of the line, newline included */
  length: number;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** complete lines whose checksum or JSON did not hold */
  damaged: number;
  /** offset just past the last complete line; bytes after it are a torn write */
  completeEnd: number;
}

export function scanRecords(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  let damaged = 0;
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) break;
    if (nl > pos) {
      const value = decodeLine(buf, pos, nl);
      if (value === undefined) damaged++;
      else records.push({ value, offset: pos, length: nl + 1 - pos });
    }
    pos = nl + 1;
  }
  return { records, damaged, completeEnd: pos };
}

/**
 * Appends buf to the file open at fd, whose size is `size`. On failure (disk full...) the file is
 * cut back to `size`, so no partial line is left for the next append to run into.
 */
export function appendAll(fd: number, buf: Buffer, size: number): void {
  try {
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done);
  } catch (err) {
    try {
      fs.ftruncateSync(fd, size);
    } catch {
      /* the next load treats it as a torn write */
    }
    throw err;
  }
}
