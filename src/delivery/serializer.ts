import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { Exchange } from '../event/types.js';
import { debug, warnOnce } from '../log.js';
import type { ResolvedOptions } from '../options/types.js';
import type { CollectorConfig } from './remote-config.js';
import { packAsync, packSync, type PackedBatch } from './packed-batch.js';
import { serializeAll, type AssembledBatch, type SerializeContext } from './serialize-event.js';
import type { ToWorker } from './serializer-worker.js';

/**
 * Assembles batches (events → JSON → gzip) on a worker thread, so it costs the app's thread only
 * the copy of the captured facts. Falls back to the main thread when a user function must run
 * (maskEventModel), when the facts cannot be copied (a hook returned a function, say), or when
 * the worker cannot start or dies. The worker is unref'd: it never keeps the process alive.
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
    const worker = ctx.options.maskEventModel || this.mainThreadOnly ? undefined : this.start(ctx);
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

  /** On the app's thread: compression on libuv's pool, or right here at exit (no loop turns left to wait for). */
  private async onMain(exchanges: Exchange[]): Promise<AssembledBatch> {
    const ctx = this.main();
    if (!ctx) return shutdown(exchanges);
    const { jsons, dropped } = serializeAll(exchanges, ctx);
    if (jsons.length === 0) return { packed: undefined, dropped };
    return { packed: this.mainThreadOnly ? packSync(jsons) : await packAsync(jsons), dropped };
  }

  private post(message: ToWorker): void {
    try {
      this.worker?.postMessage(message);
    } catch (err) {
      debug(`serializer thread message failed: ${(err as Error).message}`);
    }
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    worker?.removeAllListeners('exit');
    void worker?.terminate();
  }
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
