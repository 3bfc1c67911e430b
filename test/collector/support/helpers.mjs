// Helpers shared by the local collector tests: start it (in-process from the built CLI bundle, or
// as the real `moesif dev` child process), send to it, and wait for data to show up.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'moesif.js');
const require = createRequire(import.meta.url);

/** The built CLI bundle (dist/cli.js): main, startCollector, the viewer assets. */
export function cli() {
  return require(join(ROOT, 'dist', 'cli.js'));
}

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function tempDir(t, prefix = 'moesif-collector-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** startCollector on a free port, quiet, closed when the test ends. */
export async function startQuiet(t, opts = {}) {
  const c = await cli().startCollector({ port: 0, quiet: true, ...opts });
  t.after(() => c.close());
  return c;
}

/** POSTs JSON (gzip-compressed unless gzip: false) the way agents do. */
export async function post(base, path, body, { gzip = true, headers = {}, raw } = {}) {
  const json = raw ?? Buffer.from(JSON.stringify(body));
  const res = await fetch(base + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-moesif-application-id': 'test-app-id',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...headers,
    },
    body: gzip ? gzipSync(json) : json,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? safeJson(text) : undefined };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function getJson(base, path) {
  const res = await fetch(base + path);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Polls fn (sync or async) until it returns something truthy; fails after timeoutMs. */
export async function waitFor(fn, what, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let seq = 0;
/** An event in the collector format of SPEC §3. */
export function makeEvent(over = {}) {
  seq++;
  const start = new Date(Date.UTC(2026, 10, 25, 14, 7, 43, 462) + seq * 1000);
  const end = new Date(start.getTime() + 8);
  const { request, response, ...rest } = over;
  return {
    request: {
      time: start.toISOString(),
      uri: `https://api.acme.com/items/${seq}?x=1`,
      verb: 'POST',
      api_version: '1.2',
      ip_address: '1.2.3.4',
      headers: { 'content-type': 'application/json', 'x-moesif-transaction-id': `txn-${seq}` },
      body: { a: seq },
      transfer_encoding: 'json',
      ...request,
    },
    response: {
      time: end.toISOString(),
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: { ok: true },
      transfer_encoding: 'json',
      ...response,
    },
    user_id: 'u1',
    company_id: 'c1',
    session_token: 's1',
    metadata: { plan: 'pro' },
    direction: 'Incoming',
    weight: 1,
    ...rest,
  };
}

/**
 * Runs `node bin/moesif.js dev ...args` and resolves once it printed its address.
 * stop(signal) ends it and resolves with its exit code and output.
 */
export async function spawnDev(t, args, { cwd = ROOT } = {}) {
  const child = spawn(process.execPath, [BIN, 'dev', '--port', '0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let gone = false;
  const listening = waitFor(() => gone || /listening on (http:\/\/\S+)/.exec(out)?.[1], 'moesif dev to print its address', 10_000);
  listening.catch(() => {});
  const url = await Promise.race([
    listening,
    exited.then(({ code }) => {
      gone = true;
      throw new Error(`moesif dev exited with ${code} before listening:\n${out}\n${err}`);
    }),
  ]);
  return {
    url,
    child,
    output: () => out,
    errors: () => err,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      const r = await exited;
      return { ...r, out, err };
    },
  };
}
