import { gzip, gunzipSync, gzipSync } from 'node:zlib';

/**
 * A batch as it goes on the wire: the gzip of `[event,event,…]`, ready to send and to send
 * again. Held compressed, so a collector outage keeps several times more events within
 * maxQueueBytes. `ends` marks where each event's JSON ends in the uncompressed text, so a batch
 * the collector finds too large (413) can be cut in two without building it again.
 */
export interface PackedBatch {
  body: Buffer;
  count: number;
  ends: number[];
}

/**
 * Level 1: on event batches it compresses within a few percent of the default level at a third
 * of the CPU (measured in bench/pipeline; JSON batches repeat their field names).
 */
const GZIP = { level: 1 };

/**
 * `[json,json,…]` as UTF-8 bytes, and where each event ends. Written straight into one buffer
 * sized for ASCII (as event JSON nearly always is): the byte offsets come from the writes,
 * without measuring each event's bytes first and encoding the whole text again for zlib.
 */
function layout(jsons: readonly string[]): { text: Buffer; ends: number[] } {
  const ends: number[] = new Array(jsons.length);
  let units = 2 + jsons.length;
  for (const json of jsons) units += json.length;
  // 4 bytes of room past the end: see below.
  const text = Buffer.allocUnsafe(units + 4);
  let at = 0;
  text[at++] = 0x5b; // [
  for (let i = 0; i < jsons.length; i++) {
    const json = jsons[i]!;
    // A string is ASCII exactly when its UTF-8 is as long as it is. Given 4 bytes more than that
    // (the longest character), a string that is not ASCII always writes more, whether it fits
    // or is cut short: then it is measured and written the slow way.
    const written = text.write(json, at, json.length + 4, 'utf8');
    if (written !== json.length) return measuredLayout(jsons);
    at += written;
    ends[i] = at;
    text[at++] = 0x2c; // ,
  }
  text[jsons.length ? at - 1 : at++] = 0x5d; // ] in place of the last comma
  return { text: text.subarray(0, at), ends };
}

function measuredLayout(jsons: readonly string[]): { text: Buffer; ends: number[] } {
  const ends: number[] = new Array(jsons.length);
  let at = 1;
  for (let i = 0; i < jsons.length; i++) {
    at += Buffer.byteLength(jsons[i]!) + 1; // the comma or closing bracket after it
    ends[i] = at - 1;
  }
  return { text: Buffer.from(`[${jsons.join(',')}]`), ends };
}

/** Packs on the calling thread: for the serializer thread, and at exit. */
export function packSync(jsons: readonly string[]): PackedBatch {
  const { text, ends } = layout(jsons);
  return { body: gzipSync(text, GZIP), count: jsons.length, ends };
}

/** Packs with the compression on libuv's pool: for the app's thread, which must not block. */
export function packAsync(jsons: readonly string[]): Promise<PackedBatch> {
  const { text, ends } = layout(jsons);
  return new Promise((resolve, reject) => gzip(text, GZIP, (err, body) => (err ? reject(err) : resolve({ body, count: jsons.length, ends }))));
}

/** Cuts a batch in two halves (rare: after a 413), each a batch of its own. */
export function splitPacked(batch: PackedBatch): [PackedBatch, PackedBatch] {
  const text = gunzipSync(batch.body);
  const half = Math.ceil(batch.count / 2);
  const part = (from: number, to: number): PackedBatch => {
    const start = from === 0 ? 1 : batch.ends[from - 1]! + 1;
    const inner = text.subarray(start, batch.ends[to - 1]);
    const ends = batch.ends.slice(from, to).map((end) => end - start + 1);
    return { body: gzipSync(Buffer.concat([Buffer.from('['), inner, Buffer.from(']')]), GZIP), count: to - from, ends };
  };
  return [part(0, half), part(half, batch.count)];
}
