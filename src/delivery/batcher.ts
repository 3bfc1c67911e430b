import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange } from '../event/types.js';
import { debug, warnOnce } from '../log.js';
import { BoundedQueue } from './queue.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { splitPacked, type PackedBatch } from './packed-batch.js';
import type { AssembledBatch } from './serialize-event.js';
import type { Counters } from './stats.js';
import { CollectorError, type Transport } from './transport.js';

const MAX_IN_FLIGHT = 3;
const PAUSE_MIN_MS = 1_000;
const PAUSE_MAX_MS = 30_000;

export interface BatcherSettings {
  batchSize: number;
  batchMaxTime: number;
  eventQueueSize: number;
  maxQueueBytes: number;
}

export interface BatcherDeps {
  transport: () => Transport;
  counters: Counters;
  /** Captured facts → a gzip batch and the reasons some are not sent (may run on another thread). */
  assemble: (exchanges: Exchange[]) => Promise<AssembledBatch>;
  /** Every collector answer passes its headers here (config ETag). */
  onAnswer: (headers: IncomingHttpHeaders) => void;
  retry?: RetryPolicy;
}

/**
 * The one queue of events and the batches made from it (SPEC §6): a batch leaves when batchSize
 * events wait or the oldest has waited batchMaxTime; at most MAX_IN_FLIGHT at once; retried with
 * backoff; a batch that still fails goes back to the front and delivery pauses, growing the pause
 * while the collector stays away. Event assembly happens here, off the request path.
 */
export class Batcher {
  private readonly queue: BoundedQueue<Exchange>;
  private failed: PackedBatch[] = [];
  private failedEvents = 0;
  private failedBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private pauseMs = 0;
  private pausedUntil = 0;
  private finalFailures = 0;

  constructor(private settings: BatcherSettings, private readonly deps: BatcherDeps) {
    this.queue = new BoundedQueue(settings.eventQueueSize, settings.maxQueueBytes);
  }

  configure(settings: BatcherSettings): void {
    this.settings = settings;
    this.queue.maxItems = settings.eventQueueSize;
    this.queue.maxBytes = settings.maxQueueBytes;
    if (this.timer) this.stopTimer();
    this.pump(false);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Events held: waiting, in failed batches, or in flight is not counted (they are on the wire). */
  get held(): number {
    return this.queue.length + this.failedEvents;
  }

  /** Batches being assembled or on the wire: not held, but not delivered yet either. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /**
   * Adds captured facts; false when a bound refused them (already counted). Bodies may fill only
   * half of maxQueueBytes: past that, `leaveOutBodies` (which strips an exchange's bodies and
   * gives the size left) lets new events in without them, so a backlog (a collector away, more
   * traffic than delivery keeps up with) costs bodies first, whole events only at the bound.
   * Events without bodies are also cheap to assemble, which lets delivery catch up.
   */
  add(exchange: Exchange, size: number, leaveOutBodies?: () => number): boolean {
    const held = { items: this.failedEvents, bytes: this.failedBytes };
    let refused = this.queue.push(exchange, size, held, leaveOutBodies ? this.queue.maxBytes / 2 : undefined);
    if (refused === 'bytes' && leaveOutBodies) {
      refused = this.queue.push(exchange, leaveOutBodies(), held);
      if (!refused) {
        this.deps.counters.bodiesLeftOut++;
        warnOnce('queue:bodies', 'queue is past half of maxQueueBytes; new events keep their details but not their bodies until delivery catches up (counted in stats().bodiesLeftOut)');
      }
    }
    if (refused) {
      this.deps.counters.drop(refused === 'count' ? 'queue_full' : 'queue_bytes');
      warnOnce(`queue:${refused}`, `queue is full (${refused === 'count' ? 'eventQueueSize' : 'maxQueueBytes'}); newest events are dropped until the collector catches up`);
      return false;
    }
    if (this.queue.length >= this.settings.batchSize) this.schedulePump();
    else if (!this.timer) this.startTimer();
    return true;
  }

  /** A full batch leaves on the next turn of the loop, not inside the request that filled it. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump(false);
    }).unref();
  }

  private startTimer(delay = this.settings.batchMaxTime): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump(true);
    }, delay);
    this.timer.unref();
  }

  /** Starts batches while there is room in flight; partial batches only when their time has come. */
  private pump(partial: boolean, ignorePause = false, signal?: AbortSignal): void {
    const now = Date.now();
    if (!ignorePause && now < this.pausedUntil) {
      if (!this.timer) this.startTimer(this.pausedUntil - now);
      return;
    }
    while (this.inFlight.size < MAX_IN_FLIGHT) {
      let work: Promise<void>;
      const batch = this.failed.shift();
      if (batch) {
        this.failedEvents -= batch.count;
        this.failedBytes -= batch.body.length;
        work = this.send(batch, signal);
      } else if (this.queue.length >= this.settings.batchSize || (partial && this.queue.length > 0)) {
        work = this.assembleAndSend(this.queue.take(this.settings.batchSize), signal);
      } else break;
      if (this.queue.length === 0 && this.timer) this.stopTimer();
      const sending = work.finally(() => {
        this.inFlight.delete(sending);
        if (!signal) this.pump(false);
      });
      this.inFlight.add(sending);
    }
    if (this.queue.length > 0 && !this.timer) this.startTimer();
  }

  private async assembleAndSend(exchanges: Exchange[], signal?: AbortSignal): Promise<void> {
    const { packed, dropped } = await this.deps.assemble(exchanges);
    for (const reason of dropped) {
      this.deps.counters.drop(reason);
      if (reason === 'mask_error') warnOnce('mask_error', 'maskEventModel threw or returned no event; such events are dropped (counted in stats().dropped.mask_error)');
    }
    if (packed) await this.send(packed, signal);
  }

  private async send(batch: PackedBatch, signal?: AbortSignal): Promise<void> {
    const { count, body } = batch;
    try {
      const answer = await withRetry(
        () => this.deps.transport().send('POST', '/v1/events/batch', body, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, signal),
        this.deps.retry ?? DEFAULT_RETRY,
        () => this.deps.counters.retries++,
        signal,
      );
      this.deps.counters.sent += count;
      this.pauseMs = 0;
      this.deps.onAnswer(answer.headers);
      debug(`sent ${count} events (${body.length} bytes gzip)`);
    } catch (err) {
      const status = err instanceof CollectorError ? err.status : undefined;
      if (status === 413 && count > 1) {
        // Too large for the collector: halve it rather than lose it.
        this.requeue(...splitPacked(batch));
        return;
      }
      if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
        this.deps.counters.drop('rejected', count);
        warnOnce(`rejected:${status}`, `${(err as Error).message}; ${count} events dropped (further ${status} answers are counted in stats().dropped.rejected)`);
        return;
      }
      this.finalFailures++;
      this.requeue(batch);
      this.pauseMs = Math.min(PAUSE_MAX_MS, this.pauseMs ? this.pauseMs * 2 : PAUSE_MIN_MS);
      this.pausedUntil = Date.now() + this.pauseMs;
      warnOnce('unreachable', `${(err as Error).message}; events are kept (within eventQueueSize/maxQueueBytes) and sent when it answers`);
      debug(`batch of ${count} failed (${(err as Error).message}); retrying in ${this.pauseMs} ms`);
    }
  }

  /** Failed batches wait at the front, compressed: their bytes count against maxQueueBytes as held. */
  private requeue(...batches: PackedBatch[]): void {
    this.failed.unshift(...batches);
    for (const batch of batches) {
      this.failedEvents += batch.count;
      this.failedBytes += batch.body.length;
    }
  }

  /** Sends everything held now and resolves when it is delivered, or when a round fails (kept for later). */
  async flush(signal?: AbortSignal): Promise<void> {
    if (this.timer) this.stopTimer();
    for (;;) {
      const failuresBefore = this.finalFailures;
      this.pump(true, true, signal);
      if (this.inFlight.size === 0) break;
      await Promise.all(this.inFlight);
      if (this.finalFailures !== failuresBefore || signal?.aborted || this.held === 0) break;
    }
    if (this.held > 0 && !this.timer && !signal) this.startTimer(Math.max(this.pausedUntil - Date.now(), 0));
  }

  /** Drops everything held (after shutdown's deadline) and returns how many were dropped. */
  discard(): number {
    if (this.timer) this.stopTimer();
    const n = this.queue.clear() + this.failedEvents;
    this.failed = [];
    this.failedEvents = 0;
    this.failedBytes = 0;
    return n;
  }
}
