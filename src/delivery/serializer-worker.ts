import { parentPort } from 'node:worker_threads';
import type { Exchange } from '../event/types.js';
import type { ResolvedOptions } from '../options/types.js';
import { setDebug, setWarnSink } from '../log.js';
import type { CollectorConfig } from './remote-config.js';
import { Sampling } from './sampling.js';
import { packSync } from './packed-batch.js';
import { serializeAll, type SerializeContext } from './serialize-event.js';

/**
 * The serializer thread: turns captured exchanges into a gzip batch (identify, sample, decode
 * bodies, redact, mask, stringify, compress) so none of that runs on the app's thread. Options
 * arrive without functions: maskEventModel, when set, keeps serialization on the main thread.
 */
const sampler = new Sampling();
let ctx: SerializeContext | undefined;
// Said once per process, not once per thread: the main thread prints (or not, if it already did).
setWarnSink((cause, message) => parentPort?.postMessage({ warn: [cause, message] }));

export type ToWorker =
  | { type: 'config'; options: ResolvedOptions; authHeaders: string[] }
  | { type: 'sampling'; config: CollectorConfig }
  | { type: 'batch'; id: number; exchanges: Exchange[] };

parentPort?.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'config':
      ctx = { options: message.options, authHeaders: message.authHeaders, sample: (event) => sampler.weightFor(event) };
      setDebug(message.options.localDebug); // this thread's log lines follow localDebug too
      return;
    case 'sampling':
      sampler.apply(message.config);
      return;
    case 'batch': {
      if (!ctx) return parentPort!.postMessage({ id: message.id, error: 'no config yet' });
      const { jsons, dropped } = serializeAll(message.exchanges, ctx);
      parentPort!.postMessage({ id: message.id, packed: jsons.length ? packSync(jsons) : undefined, dropped });
    }
  }
});
