// Runs a fixture app as a child process under the real preload and talks to it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const REGISTER = join(ROOT, 'register.js');

/** Env for a child: the parent's minus any MOESIF_* of the developer, plus `extra`. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MOESIF_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

/**
 * Starts `node [--import register] script`, collects stdout/stderr, and resolves `ready` with
 * the first line `listening <port>` the script prints (fixtures print it once serving).
 */
export function startChild(script, { env = {}, preload = 'import', args = [], cwd = ROOT, nodeArgs = [] } = {}) {
  const flags = preload === 'import' ? ['--import', REGISTER] : preload === 'require' ? ['--require', REGISTER] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...flags, script, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lineWaiters = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    stdout += d;
    check();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    check();
  });
  function check() {
    for (const w of [...lineWaiters]) {
      const m = w.pattern.exec(w.stream === 'stderr' ? stderr : stdout);
      if (m) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const handle = {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(pattern, { stream = 'stdout', timeoutMs = 15_000 } = {}) {
      return new Promise((resolve, reject) => {
        const w = { pattern, stream, resolve };
        lineWaiters.push(w);
        check();
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} on ${stream}; stdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
        exited.then(() => setTimeout(() => reject(new Error(`child exited before ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`)), 50));
        const orig = w.resolve;
        w.resolve = (m) => {
          clearTimeout(t);
          orig(m);
        };
      });
    },
    async port() {
      const m = await handle.waitFor(/listening (\d+)/);
      return Number(m[1]);
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return handle;
}
