import pRetry, { AbortError } from 'p-retry';
import { CollectorError } from './transport.js';

export interface RetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, minTimeoutMs: 300, maxTimeoutMs: 10_000 };

/** Network errors, 408, 429 and 5xx are worth another try; other answers are final. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof CollectorError)) return false;
  const { status } = err;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * Runs `attempt` with exponential backoff and jitter (p-retry). A Retry-After from the collector
 * is honoured as the least wait before the next try. Timers are unref'd: retries never keep the
 * process alive on their own. The first try runs on its own: nearly every batch needs just one,
 * and p-retry's set-up per call is a measurable part of sending a small batch. The waits are
 * those p-retry would make: minTimeout × [1, 2) after the first failure, doubling after each.
 */
export async function withRetry<T>(attempt: () => Promise<T>, policy: RetryPolicy, onRetry: () => void, signal?: AbortSignal): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!isRetryable(err) || signal?.aborted || policy.retries <= 0) throw err;
    onRetry();
    const wait = (err as CollectorError).retryAfterMs;
    if (wait) await sleep(wait, signal);
    await sleep(Math.min(Math.round((1 + Math.random()) * policy.minTimeoutMs), policy.maxTimeoutMs), signal);
    if (signal?.aborted) throw err;
  }
  return retried(attempt, { ...policy, retries: policy.retries - 1, minTimeoutMs: policy.minTimeoutMs * 2 }, onRetry, signal);
}

function retried<T>(attempt: () => Promise<T>, policy: RetryPolicy, onRetry: () => void, signal?: AbortSignal): Promise<T> {
  let lastError: unknown;
  return pRetry(
    async () => {
      try {
        return await attempt();
      } catch (err) {
        lastError = err;
        if (!isRetryable(err) || signal?.aborted) throw new AbortError(err as Error);
        throw err;
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      randomize: true,
      unref: true,
      signal,
      onFailedAttempt: async ({ error, retriesLeft }) => {
        if (retriesLeft <= 0) return;
        onRetry();
        const wait = (error as CollectorError).retryAfterMs;
        if (wait) await sleep(wait, signal);
      },
    },
  ).catch((err) => {
    // Aborted by the deadline: the collector's own failure says more than "aborted".
    if (signal?.aborted && lastError instanceof CollectorError) throw lastError;
    throw err instanceof AbortError ? err.originalError : err;
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
