import type { AddressInfo } from 'node:net';
import { createCollectorServer } from './server';
import { Store, DEFAULT_RETENTION } from './store';
import { createTerminalPrinter } from './terminal';
import pkg from '../../package.json';

/**
 * `moesif dev` as a function: a Moesif-compatible collector with its store and viewer, started
 * in-process (the CLI, the demo and the tests use this).
 */

export interface CollectorOptions {
  /** default 4780; 0 picks a free port (see `port` of the result) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default .moesif-data in the working directory */
  dataDir?: string;
  /** events (and actions) kept, the oldest go; default 100000 */
  retention?: number;
  /** no line per event on the output */
  quiet?: boolean;
  /** where the line per event goes; default process.stdout */
  output?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export interface RunningCollector {
  /** base URL, e.g. http://127.0.0.1:4780 (MOESIF_BASE_URI for an agent; the viewer is at url + '/') */
  url: string;
  port: number;
  host: string;
  dataDir: string;
  store: Store;
  /** stops listening, ends open connections and closes the store; safe to call twice */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 4780;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.moesif-data';
export const VERSION: string = (pkg as { version: string }).version;

export async function startCollector(opts: CollectorOptions = {}): Promise<RunningCollector> {
  const port = opts.port ?? DEFAULT_PORT;
  const host = opts.host ?? DEFAULT_HOST;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be a whole number from 0 to 65535, not ${port}`);
  const store = Store.open({ dataDir: opts.dataDir ?? DEFAULT_DATA_DIR, retention: opts.retention ?? DEFAULT_RETENTION });
  const { server, closeStreams } = createCollectorServer({
    store,
    printer: opts.quiet ? undefined : createTerminalPrinter(opts.output ?? process.stdout),
    host,
    version: VERSION,
    startedAt: new Date().toISOString(),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    closeStreams();
    store.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      const msg = new Error(`port ${port} on ${host} is already in use (another moesif dev?); choose another with --port, or --port 0 for a free one`);
      (msg as NodeJS.ErrnoException).code = e.code;
      throw msg;
    }
    throw err;
  }
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port: actual,
    host,
    dataDir: store.dataDir,
    store,
    close() {
      closing ??= new Promise<void>((resolve) => {
        closeStreams();
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeIdleConnections?.();
        // Connections mid-request (an agent's keep-alive socket) get a moment, then are cut.
        setTimeout(() => server.closeAllConnections?.(), 500).unref();
      });
      return closing;
    },
  };
}

export { Store, DEFAULT_RETENTION };
export type { EventSummary, ActionSummary } from './summaries';
export type { Entity } from './entity-log';
