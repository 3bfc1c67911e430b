import * as path from 'node:path';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_RETENTION,
  VERSION,
  startCollector,
  type RunningCollector,
} from './collector/index';

/** The `moesif` command (bin/moesif.js): `moesif dev` runs the local collector and viewer. */

export { startCollector, VERSION };
export type { CollectorOptions, RunningCollector } from './collector/index';
export { PAGE_HTML, APP_JS, APP_CSS } from './collector/viewer-page';

const HELP = `Usage: moesif dev [options]

Runs a Moesif-compatible collector on your machine, stores what agents send it, prints a line
per event, and shows everything in a web viewer. No account, nothing leaves the machine.

Options:
  --port N         port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR      address to bind (default ${DEFAULT_HOST}; anything else exposes the data)
  --data DIR       where the data is stored (default ./${DEFAULT_DATA_DIR})
  --retention N    events kept, the oldest go; actions likewise (default ${DEFAULT_RETENTION})
  --quiet          no line per event in the terminal
  -h, --help       show this help
  -v, --version    show the version

Send to it:
  MOESIF_BASE_URI=http://127.0.0.1:${DEFAULT_PORT} node --import moesif/register app.js
`;

interface DevArgs {
  port: number;
  host: string;
  dataDir: string;
  retention: number;
  quiet: boolean;
}

class UsageError extends Error {}

function parseDev(args: string[]): DevArgs {
  const out: DevArgs = { port: DEFAULT_PORT, host: DEFAULT_HOST, dataDir: DEFAULT_DATA_DIR, retention: DEFAULT_RETENTION, quiet: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || (v.startsWith('-') && v !== '-')) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const whole = (v: string, min: number, max: number): number => {
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not "${v}"`);
      return Number(v);
    };
    switch (name) {
      case '--port':
      case '-p':
        out.port = whole(value(), 0, 65535);
        break;
      case '--host':
        out.host = value();
        break;
      case '--data':
      case '-d':
        out.dataDir = value();
        break;
      case '--retention':
        out.retention = whole(value(), 1, 100_000_000);
        break;
      case '--quiet':
      case '-q':
        out.quiet = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  return out;
}

function banner(c: RunningCollector, retention: number): string {
  const n = c.store.counts();
  const loaded = c.store.loaded;
  const skipped = Object.values(loaded).reduce((a, r) => a + r.damaged, 0);
  const torn = Object.values(loaded).reduce((a, r) => a + r.tornBytes, 0);
  const kept = [`${n.events} events`];
  if (n.users) kept.push(`${n.users} users`);
  if (n.companies) kept.push(`${n.companies} companies`);
  if (n.subscriptions) kept.push(`${n.subscriptions} subscriptions`);
  if (n.actions) kept.push(`${n.actions} actions`);
  const lines = [
    `moesif dev ${VERSION}: local collector listening on ${c.url}`,
    `  viewer      ${c.url}/`,
    `  data dir    ${c.dataDir} (${kept.join(', ')}; keeps the newest ${retention})`,
    `  send here   MOESIF_BASE_URI=${c.url} node --import moesif/register app.js`,
  ];
  if (skipped || torn) {
    lines.push(`  note        skipped ${skipped} damaged record(s)${torn ? ` and a torn write of ${torn} bytes` : ''} (a crash mid-write); the rest is intact`);
  }
  if (c.host !== DEFAULT_HOST && c.host !== 'localhost' && c.host !== '::1') {
    lines.push(`  warning     bound to ${c.host}: other machines can send here and read what was captured`);
  }
  lines.push('Ctrl+C to stop.', '');
  return lines.join('\n');
}

async function dev(args: string[]): Promise<number> {
  const opts = parseDev(args);
  const collector = await startCollector({
    port: opts.port,
    host: opts.host,
    dataDir: path.resolve(opts.dataDir),
    retention: opts.retention,
    quiet: opts.quiet,
  });
  process.stdout.write(banner(collector, opts.retention));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130); // a second Ctrl+C: do not wait
    }
    stopping = true;
    void collector.close().then(() => {
      // On a terminal the ^C echo has no newline after it.
      process.stdout.write(`${process.stdout.isTTY ? '\n' : ''}moesif dev: stopped (${signal}); data kept in ${collector.dataDir}\n`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return 0;
}

/** Entry point of bin/moesif.js. Resolves with the exit code; sets process.exitCode on failure. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (command === '-v' || command === '--version') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (command !== 'dev') throw new UsageError(`unknown command "${command}"`);
    if (rest.includes('-h') || rest.includes('--help')) {
      process.stdout.write(HELP);
      return 0;
    }
    return await dev(rest);
  } catch (err) {
    const usage = err instanceof UsageError;
    process.stderr.write(`moesif: ${(err as Error).message}\n${usage ? 'Run "moesif --help" for the options.\n' : ''}`);
    process.exitCode = usage ? 2 : 1;
    return process.exitCode;
  }
}
