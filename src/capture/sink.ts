import type { Exchange } from '../event/types.js';
import type { ResolvedOptions } from '../options/types.js';

/** What a capture module needs from the agent: the options in force (undefined while off) and where facts go. */
export interface CaptureSink {
  readonly options: ResolvedOptions | undefined;
  record(exchange: Exchange): void;
}
