import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Exchange } from '../event/types.js';
import { debug, warnOnce } from '../log.js';
import type { ResolvedOptions } from '../options/types.js';
import type { CollectorConfig } from './remote-config.js';
import { packAsync, packSync, type PackedBatch } from './packed-batch.js';
import { serializeExchange, type AssembledBatch, type SerializeContext } from './serialize-event.js';
import type { ToWorker } from './serializer-worker.js';
import type { DropReason } from './stats.js';

/** Longest stretch of event assembly on the app's thread before it yields a turn of the loop. */
const SLICE_MS = 2;
/** Batches up to this much JSON are compressed on the app's thread (about a quarter of a millisecond at level 1). */
const SYNC_GZIP_MAX = 128 * 1024;
/**
 * A thread of our own pays only for heavy batches, and only where it can run beside the app's.
 * Handing a batch over costs two thread wake-ups and two copies (measured: ~190 µs more per batch
 * and ~9 µs more per event than assembling on the app's thread, which does a batch of 25 small
 * events in well under a millisecond). Batches with this many bytes of bodies (25 × 64 KB
 * responses: milliseconds of work) go to the thread, so the app's loop is never held for long;
 * with one core to the process (taskset, a one-CPU container with affinity set) nothing does.
 * Apps with small bodies never start the thread at all (it costs ~50 MB of RSS).
 */
const WORKER_MIN_BODY_BYTES = availableParallelism() > 1 ? 256 * 1024 : Infinity;

/**
 * Assembles batches (events → JSON → gzip): on the app's thread in slices of at most SLICE_MS,
 * or, for batches heavy with bodies, on a worker thread where the process has a core for it (see
 * WORKER_MIN_BODY_BYTES). The app's thread also does it when a user function
 * must run (maskEventModel), when the facts cannot be copied (a hook returned a function, say),
 * or when the worker cannot start or dies. The worker is unref'd: it never keeps the process alive.
 */
export class Serializer {
  private worker: Worker | undefined;
  private failed = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (batch: AssembledBatch | Promise<AssembledBatch>) => void; exchanges: Exchange[] }>();
  private lastSampling: CollectorConfig | undefined;
  /** Set at exit: the app is done, and a thread that may still be starting is not worth waiting for. */
  mainThreadOnly = false;

  constructor(private readonly main: () => SerializeContext | undefined) {}

  /** New options (or auth headers) for the worker; functions stay behind. */
  configure(options: ResolvedOptions, authHeaders: string[]): void {
    this.post({ type: 'config', options: plain(options), authHeaders });
  }

  sampling(config: CollectorConfig): void {
    this.lastSampling = config;
    this.post({ type: 'sampling', config });
  }

  assemble(exchanges: Exchange[]): Promise<AssembledBatch> {
    const ctx = this.main();
    if (!ctx) return Promise.resolve(shutdown(exchanges));
    const worker = ctx.options.maskEventModel || this.mainThreadOnly || bodyBytes(exchanges) < WORKER_MIN_BODY_BYTES ? undefined : this.start(ctx);
    if (!worker) return this.onMain(exchanges);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, exchanges });
      try {
        worker.postMessage({ type: 'batch', id, exchanges } satisfies ToWorker);
      } catch {
        // Not copyable (a hook gave back a function or a symbol): this batch on the main thread.
        this.pending.delete(id);
        resolve(this.onMain(exchanges));
      }
    });
  }

  private start(ctx: SerializeContext): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      // No execArgv: the app's `--import moesif/register` must not start an agent in our thread.
      const worker = new Worker(join(__dirname, 'serializer-worker.js'), { execArgv: [], stdin: false });
      worker.on('message', (answer: FromWorker) => {
        if (answer.warn) return warnOnce(answer.warn[0], answer.warn[1]);
        const entry = this.pending.get(answer.id);
        if (!entry) return;
        this.pending.delete(answer.id);
        entry.resolve(answer.error !== undefined ? this.onMain(entry.exchanges) : { packed: answer.packed && asBuffers(answer.packed), dropped: answer.dropped });
      });
      worker.on('error', (err) => this.stop(`serializer thread failed (${err.message}); serializing on the main thread`));
      worker.on('exit', () => this.stop('serializer thread exited; serializing on the main thread'));
      worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
      this.worker = worker;
      debug('serializer thread started (batches with large bodies are assembled there)');
      this.post({ type: 'config', options: plain(ctx.options), authHeaders: [...ctx.authHeaders] });
      if (this.lastSampling) this.post({ type: 'sampling', config: this.lastSampling });
      return worker;
    } catch (err) {
      this.stop(`serializer thread cannot start (${(err as Error).message}); serializing on the main thread`);
      return undefined;
    }
  }

  private stop(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.worker = undefined;
    warnOnce('serializer', message);
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.resolve(this.onMain(entry.exchanges));
    }
  }

  /**
   * On the app's thread, in slices of at most SLICE_MS between which the app's own work goes on.
   * Small batches are compressed right here; large ones on libuv's pool (which costs a fixed
   * hand-off, worth it only when the compression itself would hold the loop up). At exit, all at
   * once: there are no loop turns left to wait for.
   */
  private async onMain(exchanges: Exchange[]): Promise<AssembledBatch> {
    const jsons: string[] = [];
    const dropped: DropReason[] = [];
    let sliceStart = performance.now();
    let bytes = 0;
    for (const exchange of exchanges) {
      if (!this.mainThreadOnly && performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      const ctx = this.main(); // options may change between slices; none means shut down
      if (!ctx) return shutdown(exchanges);
      const out = serializeExchange(exchange, ctx);
      if (out.charCodeAt(0) === 123 /* { */) {
        jsons.push(out);
        bytes += out.length;
      } else dropped.push(out as DropReason);
    }
    if (jsons.length === 0) return { packed: undefined, dropped };
    return { packed: this.mainThreadOnly || bytes < SYNC_GZIP_MAX ? packSync(jsons) : await packAsync(jsons), dropped };
  }

  private post(message: ToWorker): void {
    try {
      this.worker?.postMessage(message);
    } catch (err) {
      debug(`serializer thread message failed: ${(err as Error).message}`);
    }
  }
}

function bodyBytes(exchanges: Exchange[]): number {
  let n = 0;
  for (const ex of exchanges) n += (ex.requestBody?.size ?? 0) + (ex.responseBody?.size ?? 0);
  return n;
}

type FromWorker = { id: number; error?: string; warn?: [string, string] } & AssembledBatch;

function shutdown(exchanges: Exchange[]): AssembledBatch {
  return { packed: undefined, dropped: exchanges.map(() => 'shutdown' as const) };
}

/** A batch's body crosses threads as a plain Uint8Array; the transport wants a Buffer. */
function asBuffers(packed: PackedBatch): PackedBatch {
  const body: Uint8Array = packed.body;
  return Buffer.isBuffer(body) ? packed : { ...packed, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

/** Options without their functions (hooks cannot cross to another thread). */
function plain(options: ResolvedOptions): ResolvedOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (typeof value !== 'function') out[key] = value;
  return out as ResolvedOptions;
}
