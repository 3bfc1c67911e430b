import { debug } from './log.js';

/** How long the process may be held at exit to deliver what is queued. */
export const EXIT_FLUSH_DEADLINE_MS = 3_000;

interface Flushable {
  readonly active: boolean;
  readonly held: number;
  readonly undelivered: boolean;
  readonly counters: { captured: number };
  flush(signal?: AbortSignal, exiting?: boolean): Promise<void>;
}

let installed = false;

/**
 * Delivery at exit (SPEC §6). The agent never keeps the process alive by itself, so at
 * beforeExit it holds the loop open (one ref'd timer) just until the queue is delivered or the
 * deadline passes. On SIGTERM/SIGINT, when no one else listens, it flushes the same way and then
 * raises the signal again so the process ends exactly as it would have.
 */
export function installLifecycle(agent: Flushable): void {
  if (installed) return;
  installed = true;
  let capturedAtLastExitFlush = -1;

  process.on('beforeExit', () => {
    // Once per batch of new events: a collector that is down must not hold the exit loop forever.
    if (!agent.active || !agent.undelivered || agent.counters.captured === capturedAtLastExitFlush) return;
    capturedAtLastExitFlush = agent.counters.captured;
    debug(`exit: delivering ${agent.held} queued events`);
    void flushWithin(agent, EXIT_FLUSH_DEADLINE_MS);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return; // the app handles it; beforeExit may still flush
      process.removeListener(signal, onSignal);
      const reraise = () => process.kill(process.pid, signal);
      if (!agent.active || !agent.undelivered) return reraise();
      debug(`${signal}: delivering ${agent.held} queued events before exit`);
      // A second signal during the flush finds no listener and ends the process at once.
      flushWithin(agent, EXIT_FLUSH_DEADLINE_MS).then(reraise, reraise);
    };
    process.on(signal, onSignal);
  }
}

/** Flushes, holding the process open until done or the deadline. */
function flushWithin(agent: Flushable, deadlineMs: number): Promise<void> {
  const controller = new AbortController();
  const hold = setTimeout(() => controller.abort(), deadlineMs);
  return agent.flush(controller.signal, true).finally(() => clearTimeout(hold));
}
