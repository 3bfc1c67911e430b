/** Why an event was not delivered; each reason is counted in stats().dropped. */
export type DropReason =
  | 'queue_full' // eventQueueSize reached
  | 'queue_bytes' // maxQueueBytes reached
  | 'rejected' // the collector answered 4xx (not 408/429)
  | 'mask_error' // maskEventModel threw or returned no event
  | 'sampled_out' // remote sampling left it out
  | 'serialize_error' // the event could not be turned into JSON
  | 'shutdown'; // still held when shutdown's deadline passed

export interface Stats {
  captured: number;
  sent: number;
  dropped: Partial<Record<DropReason, number>>;
  queued: number;
  retries: number;
  /** Events kept without their bodies because the bodies did not fit in maxQueueBytes. */
  bodiesLeftOut: number;
}

export class Counters {
  captured = 0;
  sent = 0;
  retries = 0;
  bodiesLeftOut = 0;
  readonly dropped: Partial<Record<DropReason, number>> = {};

  drop(reason: DropReason, count = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
  }
}
