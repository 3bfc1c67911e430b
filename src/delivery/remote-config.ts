import type { IncomingHttpHeaders } from 'node:http';
import { debug } from '../log.js';
import type { Transport } from './transport.js';

/** GET /v1/config as the collector answers it. */
export interface CollectorConfig {
  sample_rate?: number;
  user_sample_rate?: Record<string, number>;
  company_sample_rate?: Record<string, number>;
  regex_config?: { conditions?: { path: string; value: string }[]; sample_rate?: number }[];
  user_rules?: Record<string, unknown>;
  company_rules?: Record<string, unknown>;
}

const REFETCH_INTERVAL_MS = 60_000;

/**
 * The collector's /v1/config: fetched at start, fetched again when an answer's
 * X-Moesif-Config-ETag differs from the one held, never more than once a minute (a failed or
 * pending fetch counts, so nothing storms before the first answer). Each config that arrives is
 * handed to `apply` (sampling, governance cohorts, the serializer thread's copy).
 */
export class RemoteConfig {
  private etag: string | undefined;
  private lastAttempt = -Infinity;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly transport: () => Transport,
    private readonly apply: (config: CollectorConfig) => void,
  ) {}

  fetch(): Promise<void> {
    if (this.pending) return this.pending;
    this.lastAttempt = Date.now();
    this.pending = this.transport()
      .send('GET', '/v1/config')
      .then((answer) => {
        this.apply(JSON.parse(answer.body || '{}') as CollectorConfig);
        this.etag = headerString(answer.headers['x-moesif-config-etag']) ?? this.etag;
        debug(`config loaded (etag ${this.etag ?? 'none'})`);
      })
      .catch((err) => debug(`config not loaded: ${(err as Error).message}; sampling stays as it was`))
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Called with every collector answer's headers. */
  onAnswer(headers: IncomingHttpHeaders): void {
    const etag = headerString(headers['x-moesif-config-etag']);
    if (!etag || etag === this.etag) return;
    if (Date.now() - this.lastAttempt < REFETCH_INTERVAL_MS) return;
    void this.fetch();
  }
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
