// Pieces the benches share: start a child and wait for its port, run wrk, read a process's CPU
// and memory from /proc, pin processes to cores, rotate the order of configurations per round,
// medians, and the machine line. Only 127.0.0.1 is ever contacted.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** Process CPU time (utime + stime, every thread) of `pid` in µs, from /proc (10 ms ticks). */
export function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Resident set size now and its peak (VmRSS, VmHWM) of `pid`, in KiB. */
export function memKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0; needs the right to write /proc/<pid>/clear_refs). */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** True when `taskset` is there and the machine has at least two cores to split. */
export const canPin = (() => {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins an existing process (and its threads created later) to `cores` ("0" or "1-3"). */
export function pin(pid, cores) {
  if (canPin && cores != null) execFileSync('taskset', ['-a', '-cp', String(cores), String(pid)], { stdio: 'ignore' });
}

// Children still running when the runner exits (a crash included) are ended with it.
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill();
});

/**
 * Starts `command args` (under `taskset -c cores` when given and possible) and resolves once it
 * prints `listening <port>` on stdout. `ipc: true` opens an IPC channel (process.send in a node child).
 */
export function startListening(command, args = [], { env = {}, cores, ipc = false, cwd, name = args.at(-1), quiet = false } = {}) {
  const [cmd, argv] = canPin && cores != null ? ['taskset', ['-c', String(cores), command, ...args]] : [command, args];
  const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit', ...(ipc ? ['ipc'] : [])] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  // quiet: stderr is kept (its last 4 KB, in child.stderrTail) instead of shown.
  if (quiet) {
    child.stderrTail = '';
    child.stderr.on('data', (d) => (child.stderrTail = (child.stderrTail + d).slice(-4096)));
  }
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before listening${quiet ? `: ${child.stderrTail}` : ''}`));
    child.once('exit', onExit);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        child.off('exit', onExit);
        child.stdout.resume();
        out = '';
        resolve({ child, pid: child.pid, port: Number(m[1]) });
      }
      if (out.length > 1e5) out = out.slice(-1000);
    });
  });
}

/**
 * One wrk run against 127.0.0.1:port+path. `lua` is a script path (POST body, pacing).
 * Resolves to completed requests, req/s, the 99th percentile latency in ms and the non-2xx/3xx count;
 * rejects on non-2xx/3xx answers unless `allowNon2xx`. Asynchronous, so the caller keeps reading its children's output while wrk runs.
 */
export async function wrk({ port, path, lua, seconds, connections = 32, threads = 1, cores, timeout, allowNon2xx = false }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (timeout) args.push('--timeout', `${timeout}s`);
  if (lua) args.push('-s', lua);
  args.push(`http://127.0.0.1:${port}${path}`);
  const [cmd, argv] = canPin && cores != null ? ['taskset', ['-c', String(cores), 'wrk', ...args]] : ['wrk', args];
  const { stdout: out } = await promisify(execFile)(cmd, argv, { maxBuffer: 1 << 20 });
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = Number(p99[1]) * { us: 1e-3, ms: 1, s: 1e3 }[p99[2]];
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (non2xx && !allowNon2xx) throw new Error(`wrk saw error answers: ${out}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return { requests, rps: requests / seconds, p99ms, non2xx, socketErrors: sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0, raw: out };
}

/** The order configurations run in, in round `round`: rotated by one each round so none is always first. */
export const rotate = (names, round) => names.map((_, i) => names[(i + round) % names.length]);

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function machineLine() {
  const c = cpus();
  return `node ${process.version}, ${c.length} × ${c[0].model.trim()}, Linux ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}`;
}
