// Side by side (issue 6): the same target app (app.cjs) as one process per configuration —
//   none            no agent
//   ours            this repo's agent through the preload, outgoing capture on
//   moesif-nodejs   moesif-nodejs 3.x middleware around the handler, startCaptureOutgoing()
//   otel            OpenTelemetry sdk-trace-node + http and undici instrumentations, a
//                   BatchSpanProcessor into the OTLP/HTTP (JSON) exporter (what its users run)
//   otel-noop       the same tracing with an exporter that drops every batch (instrumentation only)
// all shipping to one local counting collector (collector.mjs, its own process), which decodes the
// Moesif-format batches, counts the events and checks their bodies, and counts OTLP spans.
//
// Incoming: GET /small, POST /echo (1 KB JSON), GET /big (64 KB JSON), loaded by wrk in its own
// process. Outgoing: n sequential http.request POSTs / fetch GETs (bodies read) from the app to an
// upstream server in another process. Configurations interleaved round by round (the order rotates
// every round); the app on one core and wrk, collector, upstream and this runner on the other
// (taskset). Per configuration and scenario: req/s, p99, process CPU µs per request (from the
// start of the load until the agent has delivered what it captured), peak RSS of the
// measurement (VmHWM, reset before each), events delivered vs requests served, bodies checked.
// Ratios and differences against `none` in the same round; medians over rounds.
// Then the incoming scenarios again at a fixed rate the app carries (half of bare's saturated
// req/s; 2 000 req/s for the 64 KB response): at saturation an agent that sheds work (bodies left
// out) looks cheaper than it is, so a row counts against the targets only with every body kept.
// Then: RSS under a dead collector with 10x our queue bound offered, and the per-event CPU of our
// delivery path alone (bench/pipeline).
//
//   npm run bench                 (in bench/) full run (< 10 min), writes bench/RESULTS.md
//   npm run bench -- --quick      short run (< 2 min), writes bench/RESULTS-quick.md
// Fixed rate: --rates small=N,echo=N,big=N overrides the rates, --no-fixed skips it.
// Options: --rounds N --seconds S --calls N --connections C --pace MS (wrk connections wait MS
// between requests) --only none,ours,... --no-rss --no-pipeline --out FILE
// Needs wrk (apt-get install wrk), the repo's dist (`npm run build` at the root) and this folder's
// node_modules (`npm install` in bench/). Only 127.0.0.1 is ever contacted.
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { canPin, machineLine, median, memKb, pin, resetPeak, rotate, startListening, wrk } from '../lib/measure.mjs';
import payloads from './payloads.cjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

// ---------------------------------------------------------------------------------------------
// Options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = flag('quick');
const rounds = Number(opt('rounds', quick ? 2 : 5));
const seconds = Number(opt('seconds', quick ? 1 : 3));
const calls = Number(opt('calls', quick ? 300 : 1500));
const connections = Number(opt('connections', 32));
const paceMs = Number(opt('pace', 0));
const outgoingSlices = 3; // outgoing calls of a round, alternated between configurations in this many slices
const flushMs = 1000; // every agent's "send a partial batch after" interval (see README-section.md)
const deadBoundBytes = (quick ? 2 : 8) * 1024 * 1024; // our maxQueueBytes in the dead-collector test
const pipelineEvents = quick ? 10_000 : 50_000;
const outFile = opt('out', join(here, '..', quick ? 'RESULTS-quick.md' : 'RESULTS.md')); // bench/RESULTS.md
const CONFIGS = (opt('only', 'none,ours,moesif-nodejs,otel,otel-noop')).split(',');
const fixedRates = Object.fromEntries((opt('rates', '') || '').split(',').filter(Boolean).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
const BIG_FIXED_RATE = 2000;
if (CONFIGS[0] !== 'none') CONFIGS.unshift('none');
const APP_CORE = canPin ? 1 : undefined;
const LOAD_CORE = canPin ? 0 : undefined;
const t0 = performance.now();
const log = (...a) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s]`, ...a);

if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('no dist/: run `npm run build` at the repo root first');
if (!existsSync(join(here, '..', 'node_modules', 'moesif-nodejs'))) throw new Error('no bench/node_modules: run `npm install` in bench/ first');
try {
  execFileSync('wrk', ['-v'], { stdio: 'ignore' });
} catch (e) {
  if (e.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install wrk)');
}
if (canPin) pin(process.pid, LOAD_CORE); // this runner with the load generator, away from the app

// ---------------------------------------------------------------------------------------------
// Configurations
/** What each configuration is expected to capture (an event per request/call), by scenario. */
const captures = {
  none: () => false,
  ours: () => true,
  'moesif-nodejs': (s) => s !== 'fetch-get', // it patches http.request only: global fetch is not captured
  otel: () => true,
  'otel-noop': () => false, // traced, but nothing leaves the process: no event to wait for
};
/** What each configuration records of a scenario (for the rival comparisons), delivered or not. */
const traces = (name, s) => captures[name](s) || name === 'otel-noop';
const LABEL = { otel: 'otel (OTLP)', 'otel-noop': 'otel (no-op exporter)' };
const label = (name) => LABEL[name] ?? name;

function configLaunch(name, collectorBase) {
  const app = join(here, 'app.cjs');
  switch (name) {
    case 'none':
      return { args: [app], env: {} };
    case 'ours':
      return {
        args: ['--import', join(root, 'register.js'), app],
        env: {
          MOESIF_APPLICATION_ID: payloads.applicationId,
          MOESIF_BASE_URI: `${collectorBase}/ours`,
          MOESIF_CAPTURE_OUTGOING_REQUESTS: 'true',
          MOESIF_BATCH_MAX_TIME: String(flushMs),
        },
      };
    case 'moesif-nodejs':
      return { args: [app], env: { BENCH_AGENT: 'moesif-nodejs', BENCH_MOESIF_BASE_URI: `${collectorBase}/moesif-nodejs`, BENCH_FLUSH_MS: String(flushMs) } };
    case 'otel':
      return { args: ['--require', join(here, 'otel-setup.cjs'), app], env: { BENCH_OTLP_URL: `${collectorBase}/otel/v1/traces`, BENCH_FLUSH_MS: String(flushMs) } };
    case 'otel-noop':
      return { args: ['--require', join(here, 'otel-setup.cjs'), app], env: { BENCH_OTEL_EXPORTER: 'noop', BENCH_FLUSH_MS: String(flushMs) } };
    default:
      throw new Error(`unknown configuration ${name}`);
  }
}

async function startApp(name, collectorBase, extraEnv = {}) {
  const { args, env } = configLaunch(name, collectorBase);
  const p = await startListening(process.execPath, args, { env: { ...env, ...extraEnv }, cores: APP_CORE, ipc: true, cwd: here, quiet: true, name: `app (${name})` });
  return { name, ...p };
}

/** Sends an IPC message to an app and resolves with its answer (one at a time per app). */
async function ask(app, message) {
  const ac = new AbortController();
  const answer = once(app.child, 'message', { signal: ac.signal });
  const died = once(app.child, 'exit', { signal: ac.signal }).then(([code, sig]) => {
    throw new Error(`app (${app.name}) exited (${code ?? sig}): ${app.child.stderrTail}`);
  });
  app.child.send(message);
  try {
    return (await Promise.race([answer, died]))[0];
  } finally {
    ac.abort();
    died.catch(() => {});
    answer.catch(() => {});
  }
}
const usage = (app) => ask(app, { cmd: 'usage' });
const m0 = (xs) => median(xs);
const cpuOf = async (app) => (await usage(app)).cpuUs;

// ---------------------------------------------------------------------------------------------
// Scenarios
const tmp = mkdtempSync(join(tmpdir(), 'moesif-compare-'));
const pace = paceMs > 0 ? `function delay()\n  return ${paceMs}\nend\n` : '';
writeFileSync(join(tmp, 'echo.lua'), `wrk.method = "POST"\nwrk.body = '${payloads.echoBody}'\nwrk.headers["Content-Type"] = "application/json"\n${pace}`);
writeFileSync(join(tmp, 'get.lua'), pace || '-- saturate\n');
const INCOMING = [
  { id: 'small', name: 'small GET', path: '/small', lua: join(tmp, 'get.lua'), kb: 0 },
  { id: 'echo', name: '1 KB JSON POST echo', path: '/echo', lua: join(tmp, 'echo.lua'), kb: 2 },
  { id: 'big', name: '64 KB JSON response', path: '/big', lua: join(tmp, 'get.lua'), kb: 64 },
];
const OUTGOING = [
  { id: 'http-post', name: 'http.request POST (530 B JSON)' },
  { id: 'fetch-get', name: 'fetch GET (1 KB JSON, res.json())' },
];
const only = opt('scenarios', null)?.split(',');
const SCENARIOS = [...INCOMING, ...OUTGOING].filter((s) => !only || only.includes(s.id));

// ---------------------------------------------------------------------------------------------
// Collector
const collector = await startListening(process.execPath, [join(here, 'collector.mjs')], { cores: LOAD_CORE, name: 'collector' });
const upstream = await startListening(process.execPath, [join(here, 'upstream.mjs')], { cores: LOAD_CORE, name: 'upstream' });
const collectorBase = `http://127.0.0.1:${collector.port}`;
const totals = async () => (await (await fetch(`${collectorBase}/count`)).json());
const zero = { events: 0, bodyOk: 0, bodyBad: 0, bodyLeftOut: 0, errors: 0, badSample: null };
const countOf = async (name) => ({ ...zero, ...(await totals())[name] });

/**
 * Waits until `name` has delivered `expected` events since `before`, or nothing new has arrived
 * for flushMs + 1 s (events lost or never sent), at most 60 s. Resolves to the delta.
 */
async function drained(name, before, expected) {
  if (name === 'none') return { ...zero };
  let last = -1;
  let since = performance.now();
  const start = performance.now();
  for (;;) {
    const now = await countOf(name);
    const got = now.events - before.events;
    if (got !== last) [last, since] = [got, performance.now()];
    const quiet = performance.now() - since;
    if ((expected > 0 && got >= expected) || quiet > flushMs + 1000 || (expected === 0 && quiet > 500) || performance.now() - start > 60_000) {
      return { events: got, bodyOk: now.bodyOk - before.bodyOk, bodyBad: now.bodyBad - before.bodyBad, bodyLeftOut: (now.bodyLeftOut ?? 0) - (before.bodyLeftOut ?? 0), errors: now.errors - before.errors, badSample: now.badSample };
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// One measurement
async function measureIncoming(app, s, secs = seconds, lua = s.lua, conns = connections) {
  const before = await countOf(app.name);
  resetPeak(app.pid);
  const u0 = await usage(app);
  const r = await wrk({ port: app.port, path: s.path, lua, seconds: secs, connections: conns, cores: LOAD_CORE, timeout: 10 });
  // The app's own count: wrk's misses the requests in flight when it stopped, served all the same.
  const served = await settledServed(app, u0.served);
  const d = await drained(app.name, before, captures[app.name](s.id) ? served : 0);
  const cpu = (await cpuOf(app)) - u0.cpuUs;
  return { served, completed: r.requests, rps: r.rps, p99ms: r.p99ms, socketErrors: r.socketErrors, cpuPer: cpu / served, hwmKb: memKb(app.pid).hwm, ...d };
}

/**
 * Outgoing calls of one round for every configuration: `n` calls each, made in `slices` slices that
 * alternate between the configurations (A B C D A B C D …), so a burst of load from elsewhere on the
 * machine hits them all alike; then each configuration's delivery is awaited and its CPU read.
 * A configuration's partial batch may go out (on its flush timer) during another's slice: its CPU
 * is still its own, counted in its own measurement.
 */
async function measureOutgoingRound(appsByName, order, s, n = calls, slices = outgoingSlices) {
  const state = {};
  for (const name of order) {
    const app = appsByName[name];
    resetPeak(app.pid);
    state[name] = { before: await countOf(name), cpu0: await cpuOf(app), wall: 0 };
  }
  const per = Math.ceil(n / slices);
  for (let k = 0; k < slices; k++)
    for (const name of order) {
      const { wallUs } = await ask(appsByName[name], { cmd: 'calls', kind: s.id, n: per, port: upstream.port });
      state[name].wall += wallUs * per;
    }
  const total = per * slices;
  const r = {};
  for (const name of order) {
    const app = appsByName[name];
    const d = await drained(name, state[name].before, captures[name](s.id) ? total : 0);
    const cpu = (await cpuOf(app)) - state[name].cpu0;
    r[name] = { served: total, wallUs: state[name].wall / total, cpuPer: cpu / total, hwmKb: memKb(app.pid).hwm, ...d };
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Start, check every configuration delivers, warm up
const failures = [];
const warnings = [];
const load0 = loadavg();
log(`${machineLine()}; pinning: ${canPin ? `apps on core ${APP_CORE}, wrk/collector/upstream/runner on core ${LOAD_CORE}` : 'not possible (one core or no taskset)'}`);

// One app process per configuration and scenario, so each scenario's peak RSS and JIT state are its own.
const apps = {};
for (const s of SCENARIOS) {
  apps[s.id] = {};
  for (const name of CONFIGS) apps[s.id][name] = await startApp(name, collectorBase);
}
const allApps = () => SCENARIOS.flatMap((s) => Object.values(apps[s.id]));

log('preflight: one request per endpoint, two calls per kind, each configuration must deliver them');
for (const name of CONFIGS) {
  const before = await countOf(name);
  let expected = 0;
  for (const s of SCENARIOS) {
    const app = apps[s.id][name];
    if (s.path) {
      const res = await fetch(`http://127.0.0.1:${app.port}${s.path}`, s.id === 'echo' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: payloads.echoBody } : {});
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: ${s.path} answered ${res.status}`);
      if (captures[name](s.id)) expected++;
    } else {
      await ask(app, { cmd: 'calls', kind: s.id, n: 2, port: upstream.port });
      if (captures[name](s.id)) expected += 2;
    }
  }
  const d = await drained(name, before, expected);
  const line = `${name}: ${d.events} of ${expected} expected events delivered, bodies ${d.bodyOk} ok / ${d.bodyBad} wrong${d.errors ? `, ${d.errors} undecodable batches` : ''}`;
  log(line);
  if (expected > 0 && d.events === 0) {
    const tails = SCENARIOS.map((s) => apps[s.id][name].child.stderrTail).filter(Boolean).join('\n');
    console.error(`FAIL ${name} delivered nothing; its stderr:\n${tails}`);
    for (const a of allApps()) a.child.kill();
    collector.child.kill();
    upstream.child.kill();
    process.exit(1);
  }
  if (d.events < expected || d.bodyBad || d.errors) warnings.push(`preflight: ${line}${d.badSample ? `; e.g. ${d.badSample}` : ''}`);
}

/** Requests `app` has started since `base`, once the count stops moving (in-flight ones included). */
async function settledServed(app, base) {
  let served = (await usage(app)).served - base;
  for (let prev = -1; served !== prev; ) {
    prev = served;
    await sleep(100);
    served = (await usage(app)).served - base;
  }
  return served;
}

log('warm-up (JIT): each scenario on every configuration at once (they share the app core), not measured');
const warmSecs = quick ? 1 : 2;
for (const s of SCENARIOS) {
  const before = {};
  const base = {};
  for (const name of CONFIGS) [before[name], base[name]] = [await countOf(name), (await usage(apps[s.id][name])).served];
  await Promise.all(
    CONFIGS.map((name) =>
      s.path
        ? wrk({ port: apps[s.id][name].port, path: s.path, lua: s.lua, seconds: warmSecs, connections, cores: LOAD_CORE, timeout: 10 })
        : ask(apps[s.id][name], { cmd: 'calls', kind: s.id, n: Math.min(500, calls), port: upstream.port }),
    ),
  );
  await Promise.all(
    CONFIGS.map(async (name) => {
      const served = s.path ? await settledServed(apps[s.id][name], base[name]) : Math.min(500, calls);
      await drained(name, before[name], captures[name](s.id) ? served : 0);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Rounds
const results = Object.fromEntries(SCENARIOS.map((s) => [s.id, []]));
for (let round = 0; round < rounds; round++) {
  const order = rotate(CONFIGS, round);
  for (const s of SCENARIOS) {
    let r = {};
    if (s.path) for (const name of order) r[name] = await measureIncoming(apps[s.id][name], s);
    else r = await measureOutgoingRound(apps[s.id], order, s);
    results[s.id].push(r);
    const fmt = (n) => (s.path ? `${n} ${r[n].cpuPer.toFixed(1)} µs/req ${r[n].rps.toFixed(0)} req/s` : `${n} ${r[n].wallUs.toFixed(1)} µs/call ${r[n].cpuPer.toFixed(1)} CPU µs/call`);
    log(`round ${round + 1}/${rounds} ${s.name}: ${CONFIGS.map((n) => `${fmt(n)}${n === 'none' ? '' : ` ${r[n].events}/${r[n].served} ev`}`).join('; ')}`);
  }
}

// Fixed rate: each connection waits so that together they send `rate` requests per second (wrk's
// delay() after each response; the app answers in well under the wait, so the rate holds).
const fixed = {};
if (!flag('no-fixed'))
  for (const s of SCENARIOS.filter((x) => x.path)) {
    const rate = fixedRates[s.id] ?? (s.id === 'big' ? BIG_FIXED_RATE : Math.round(m0(results[s.id].map((r) => r.none.rps)) / 2));
    const conns = Math.max(4, Math.ceil(rate / 100));
    const delayMs = (conns * 1000) / rate;
    const base = readFileSync(s.lua, 'utf8').replace(/function delay\(\)[\s\S]*?end\n/, '');
    const lua = join(tmp, `${s.id}-fixed.lua`);
    writeFileSync(lua, `${base}\nfunction delay()\n  return ${delayMs.toFixed(3)}\nend\n`);
    fixed[s.id] = { rate, conns, delayMs, rounds: [] };
    for (let round = 0; round < rounds; round++) {
      const r = {};
      for (const name of rotate(CONFIGS, round)) r[name] = await measureIncoming(apps[s.id][name], s, seconds, lua, conns);
      fixed[s.id].rounds.push(r);
      log(`fixed ${rate} req/s, round ${round + 1}/${rounds} ${s.name}: ${CONFIGS.map((n) => `${n} ${r[n].cpuPer.toFixed(1)} µs/req ${r[n].rps.toFixed(0)} req/s${n === 'none' ? '' : ` ${r[n].events}/${r[n].served} ev${r[n].bodyLeftOut ? ` ${r[n].bodyLeftOut} bodies left out` : ''}`}`).join('; ')}`);
    }
  }
for (const a of allApps()) a.child.kill();

// The native floor of a 64 KB JSON body: what capturing it must cost at least (gzip level 1 and
// JSON.parse of the same bytes, on the app's core), timed in this run.
let nativeFloorUs = NaN;
if (SCENARIOS.some((s) => s.id === 'big')) {
  const script = `const zlib=require('node:zlib');const {bigBody}=require(${JSON.stringify(join(here, 'payloads.cjs'))});const b=Buffer.from(bigBody);for(let i=0;i<50;i++){zlib.gzipSync(b,{level:1});JSON.parse(bigBody)}const n=400;const t=process.cpuUsage();for(let i=0;i<n;i++){zlib.gzipSync(b,{level:1});JSON.parse(b.toString())}const u=process.cpuUsage(t);console.log((u.user+u.system)/n)`;
  const argvFloor = canPin ? ['-c', String(APP_CORE), process.execPath, '-e', script] : ['-e', script];
  nativeFloorUs = Number(execFileSync(canPin ? 'taskset' : process.execPath, argvFloor).toString().trim());
  log(`native floor of the 64 KB body (gzip level 1 + JSON.parse): ${nativeFloorUs.toFixed(0)} µs`);
}

// A configuration that should capture a scenario and delivered nothing in some round is a failure, not a cheap result.
for (const s of SCENARIOS)
  for (const name of CONFIGS) {
    if (!captures[name](s.id)) continue;
    const empty = results[s.id].filter((r) => r[name].events === 0).length;
    if (empty) failures.push(`${name} delivered no event in ${empty} of ${rounds} rounds of ${s.name}`);
    const bad = results[s.id].reduce((n, r) => n + r[name].bodyBad, 0);
    if (bad) failures.push(`${name}: ${bad} events of ${s.name} had wrong bodies, e.g. ${results[s.id].find((r) => r[name].bodyBad)[name].badSample}`);
  }

// ---------------------------------------------------------------------------------------------
// Dead collector: RSS with 10x our queue bound offered as 64 KB responses
async function offer(port, path, count, concurrency = 8, capMs = 60_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let done = 0;
  const deadline = performance.now() + capMs;
  const one = () =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        next++;
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return done;
}

const dead = [];
const settleMs = quick ? 1500 : 3000;
if (!flag('no-rss')) {
  const blocker = createServer();
  await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
  const deadPort = blocker.address().port;
  await new Promise((r) => blocker.close(r)); // nothing listens there now: connection refused
  const deadBase = `http://127.0.0.1:${deadPort}`;
  const countFor = (bound) => Math.ceil((10 * bound) / payloads.bigBody.length);
  const cases = CONFIGS.filter((name) => name !== 'otel-noop').map((name) => ({ name, label: name === 'ours' ? `ours (maxQueueBytes ${deadBoundBytes / 1048576} MiB)` : name, env: name === 'ours' ? { MOESIF_MAX_QUEUE_BYTES: String(deadBoundBytes) } : {}, count: countFor(deadBoundBytes) }));
  // Ours at its default bound too (10 × 64 MiB offered), where that fits the time.
  if (!quick && CONFIGS.includes('ours')) cases.push({ name: 'ours', label: 'ours (default maxQueueBytes, 64 MiB)', env: {}, count: countFor(64 * 1048576) });
  log(`dead collector (${deadBase}, refused): ${countFor(deadBoundBytes)} × 64 KB responses per configuration (10 × ${deadBoundBytes / 1048576} MiB)`);
  for (const c of cases) {
    const app = await startApp(c.name, deadBase, c.env);
    await offer(app.port, '/small', 200);
    await sleep(quick ? 500 : 1500);
    const base = memKb(app.pid).rss;
    resetPeak(app.pid);
    const start = performance.now();
    const served = await offer(app.port, '/big', c.count, 8, quick ? 15_000 : 60_000);
    const secs = (performance.now() - start) / 1000;
    await sleep(settleMs);
    const after = memKb(app.pid);
    dead.push({ ...c, base, peak: after.hwm, after: after.rss, served, secs, alive: app.child.exitCode === null });
    log(`dead collector ${c.label}: RSS ${(base / 1024).toFixed(0)} MB before, peak ${(after.hwm / 1024).toFixed(0)} MB, ${(after.rss / 1024).toFixed(0)} MB ${settleMs / 1000} s after; ${served} served in ${secs.toFixed(1)} s`);
    app.child.kill();
  }
}
collector.child.kill();
upstream.child.kill();

// ---------------------------------------------------------------------------------------------
// Our delivery path alone (bench/pipeline)
let pipeline = null;
if (!flag('no-pipeline')) {
  log(`bench/pipeline with ${pipelineEvents} events`);
  const child = spawn(process.execPath, [join(root, 'bench', 'pipeline', 'run.mjs'), String(pipelineEvents)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill(), 120_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  pipeline = { code, out: out.trim(), err: err.trim().slice(-1500) };
  if (code !== 0) warnings.push(`bench/pipeline exited ${code}: ${pipeline.err.split('\n').slice(0, 3).join(' ')}`);
}
const load1 = loadavg();
const totalSecs = (performance.now() - t0) / 1000;

// ---------------------------------------------------------------------------------------------
// Report
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const sign = (x, d = 1) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : '–');
const mb = (kb) => f(kb / 1024, 0);
const others = CONFIGS.filter((n) => n !== 'none');

const roundsOf = (s, mode = 'saturated') => (mode === 'fixed' ? fixed[s.id]?.rounds ?? [] : results[s.id]);
function captureCell(s, name, rs = roundsOf(s)) {
  if (name === 'none') return '–';
  const served = rs.reduce((n, r) => n + r[name].served, 0);
  const got = rs.reduce((n, r) => n + r[name].events, 0);
  if (!captures[name](s.id)) return got ? `${got} of ${served}` : name === 'otel-noop' ? 'dropped by design' : '**none** (not captured)';
  const pct = (100 * got) / served;
  return `${pct >= 99.95 ? '' : pct === 0 ? '**FAIL** ' : '⚠ '}${got} of ${served} (${f(Math.min(pct, 100), 1)} %)`;
}
function leftOutOf(s, name, rs = roundsOf(s)) {
  return rs.reduce((n, r) => n + (r[name].bodyLeftOut ?? 0), 0);
}
function bodyCell(s, name, rs = roundsOf(s)) {
  if (name === 'none') return '–';
  if (name === 'otel' || name === 'otel-noop') return 'not captured';
  const ok = rs.reduce((n, r) => n + r[name].bodyOk, 0);
  const bad = rs.reduce((n, r) => n + r[name].bodyBad, 0);
  const leftOut = leftOutOf(s, name, rs);
  if (!ok && !bad && !leftOut) return '–';
  const kept = bad ? `**${bad} wrong** / ${ok + bad + leftOut}` : `✓ ${ok} checked`;
  return leftOut ? `${kept}; ⚠ ${leftOut} left out under backlog (marker)` : kept;
}
const m = (s, fn, mode) => median(roundsOf(s, mode).map(fn));
/** Median added CPU µs per request/call of `name` over none, in the same round. */
const added = (s, name, mode) => m(s, (r) => r[name].cpuPer - r.none.cpuPer, mode);
/** Every event delivered and every body kept: only then does a row of ours count. */
const complete = (s, mode) => roundsOf(s, mode).every((r) => r.ours.events >= r.ours.served && !r.ours.bodyLeftOut && !r.ours.bodyBad);

const lines = [];
const out = (l = '') => lines.push(l);
const machine = `${machineLine()}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
const command = `cd bench && npm run bench${quick ? ' -- --quick' : ''}${argv.filter((a) => a !== '--quick').length ? ` (args: ${argv.join(' ')})` : ''}`;
out(`# Side by side: ours vs moesif-nodejs vs OpenTelemetry (bench/compare)`);
out();
out(`- Machine: ${machine}; shared with other workers' test runs (load average ${load0.map((x) => x.toFixed(2)).join(' / ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' / ')} at the end): figures are noisy, CPU µs per request is the steadier headline.`);
out(`- Command: \`${command}\` (${f(totalSecs / 60, 1)} min). Repo commit ${gitHead()}.`);
out(`- Pinning: ${canPin ? `every app process on core ${APP_CORE} (\`taskset -c ${APP_CORE}\`, all its threads: libuv pool, workers); wrk, the collector, the upstream server and the runner on core ${LOAD_CORE}` : 'none (fewer than two cores or no taskset)'}.`);
out(`- Load: wrk -t1 -c${connections} -d${seconds}s${paceMs ? `, each connection pausing ${paceMs} ms between requests` : ', saturating'}; outgoing: ${calls} sequential calls per configuration and round, in ${outgoingSlices} slices alternating between the configurations; ${rounds} rounds, configurations interleaved (order rotated each round); medians over rounds of per-round values; "×none" and "added" are against \`none\` in the same round.`);
out(`- CPU: the app process's user+system time (all threads, \`process.cpuUsage()\` asked over IPC) from the start of the load until the collector has received every event of the measurement (or none arrived for ${(flushMs + 1000) / 1000} s), divided by the requests the app served (counted in the app: wrk's own count misses those in flight when it stops) / the calls made. Peak RSS: VmHWM of the app, reset before each measurement (\`/proc/<pid>/clear_refs\`).`);
out(`- Ours ran with batchSize ${ourBatchSize()} (its default${process.env.MOESIF_BATCH_SIZE ? `; MOESIF_BATCH_SIZE=${process.env.MOESIF_BATCH_SIZE} in the environment` : ''}). OpenTelemetry twice: with the OTLP/HTTP exporter its users run (\`otel (OTLP)\`), and with a no-op exporter (\`otel (no-op exporter)\`: the instrumentation and span batching alone).`);
out(`- Versions: moesif-nodejs ${pkgVersion('moesif-nodejs')}, @opentelemetry/sdk-trace-node ${pkgVersion('@opentelemetry/sdk-trace-node')}, instrumentation-http ${pkgVersion('@opentelemetry/instrumentation-http')}, instrumentation-undici ${pkgVersion('@opentelemetry/instrumentation-undici')}, exporter-trace-otlp-http ${pkgVersion('@opentelemetry/exporter-trace-otlp-http')}.`);
out();
function incomingTable(mode) {
  out('| endpoint | config | CPU µs/req | added CPU µs/req | CPU ×none | req/s | req/s ×none | p99 ms | p99 ×none | peak RSS MB | events / requests | bodies at the collector |');
  out('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of SCENARIOS.filter((x) => x.path && roundsOf(x, mode).length))
    for (const name of CONFIGS) {
      const vs = name === 'none';
      const rs = roundsOf(s, mode);
      const mm = (fn) => m(s, fn, mode);
      out(`| ${s.name}${mode === 'fixed' ? ` @ ${fixed[s.id].rate}/s` : ''} | ${label(name)} | ${f(mm((r) => r[name].cpuPer))} | ${vs ? '–' : sign(mm((r) => r[name].cpuPer - r.none.cpuPer))} | ${vs ? '1' : f(mm((r) => r[name].cpuPer / r.none.cpuPer), 2)} | ${f(mm((r) => r[name].rps), 0)} | ${vs ? '1' : f(mm((r) => r[name].rps / r.none.rps), 2)} | ${f(mm((r) => r[name].p99ms), 2)} | ${vs ? '1' : f(mm((r) => r[name].p99ms / r.none.p99ms), 2)} | ${mb(mm((r) => r[name].hwmKb))} | ${captureCell(s, name, rs)} | ${bodyCell(s, name, rs)} |`);
    }
  out();
}
out('## Incoming, saturated (wrk as fast as the app answers)');
out();
incomingTable('saturated');
if (Object.keys(fixed).length) {
  out(`## Incoming at a fixed rate (half of bare's saturated req/s; ${BIG_FIXED_RATE}/s for 64 KB): nothing shed`);
  out();
  out(`wrk's connections each wait after every answer so that together they send the rate (${Object.entries(fixed).map(([id, x]) => `${id}: ${x.conns} connections, ${f(x.delayMs, 2)} ms`).join('; ')}). CPU per request here is what a steady load costs; a row of ours counts only with every body kept.`);
  out();
  incomingTable('fixed');
}
out('## Outgoing (the app as the client, sequential calls to an upstream server in another process)');
out();
out('| calls | config | CPU µs/call | added CPU µs/call | µs/call | added wall | peak RSS MB | events / calls | bodies at the collector |');
out('|---|---|---|---|---|---|---|---|---|');
for (const s of SCENARIOS.filter((x) => !x.path))
  for (const name of CONFIGS) {
    const vs = name === 'none';
    out(`| ${s.name} | ${label(name)} | ${f(m(s, (r) => r[name].cpuPer))} | ${vs ? '–' : sign(m(s, (r) => r[name].cpuPer - r.none.cpuPer))} | ${f(m(s, (r) => r[name].wallUs))} | ${vs ? '–' : `${sign(m(s, (r) => 100 * (r[name].wallUs / r.none.wallUs - 1)))} %`} | ${mb(m(s, (r) => r[name].hwmKb))} | ${captureCell(s, name)} | ${bodyCell(s, name)} |`);
  }
out();

// Ours against OpenTelemetry, row by row, and the targets of issue 15.
const hasOtel = CONFIGS.includes('ours') && CONFIGS.includes('otel') && CONFIGS.includes('otel-noop');
if (hasOtel) {
  const ok = (b) => (b ? 'yes' : '**no**');
  out('## Ours against OpenTelemetry (added CPU µs per request or call over none, medians)');
  out();
  out('| row | ours | otel (no-op exporter) | otel (OTLP) | ours / OTLP | ours / no-op | ours complete (every event, every body) |');
  out('|---|---|---|---|---|---|---|');
  const rowsOf = [];
  for (const s of SCENARIOS) {
    for (const mode of s.path ? ['saturated', 'fixed'] : ['saturated']) {
      if (!roundsOf(s, mode).length) continue;
      const [o, n, t] = [added(s, 'ours', mode), added(s, 'otel-noop', mode), added(s, 'otel', mode)];
      rowsOf.push({ s, mode, o, n, t });
      out(`| ${s.name}${mode === 'fixed' ? ` @ ${fixed[s.id].rate}/s` : s.path ? ' (saturated)' : ''} | ${sign(o)} | ${sign(n)} | ${sign(t)} | ${f(o / t, 2)} | ${f(o / n, 2)} | ${ok(complete(s, mode))} |`);
    }
  }
  out();
  out('## Targets (issue 15)');
  out();
  out('Same run. A row of ours counts only with every event delivered with its body; incoming rows are judged at the fixed rate (the saturated rows shed work where delivery falls behind).');
  out();
  out('| target | measured | met |');
  out('|---|---|---|');
  const judged = (id) => rowsOf.find((r) => r.s.id === id && r.mode === (r.s.path ? 'fixed' : 'saturated'));
  for (const id of ['small', 'echo']) {
    const r = judged(id);
    if (!r) continue;
    out(`| ${r.s.name}: ≤ 0.5 × otel (OTLP) and ≤ 1 × otel (no-op) | ${sign(r.o)} µs: ${f(r.o / r.t, 2)} × OTLP, ${f(r.o / r.n, 2)} × no-op | ${ok(r.o <= 0.5 * r.t && r.o <= r.n && complete(r.s, r.mode))} |`);
  }
  for (const r of rowsOf.filter((x) => !x.s.path)) out(`| ${r.s.name}: ≤ 0.33 × otel (OTLP) | ${sign(r.o)} µs: ${f(r.o / r.t, 2)} × OTLP | ${ok(r.o <= 0.33 * r.t && complete(r.s, r.mode))} |`);
  const big = judged('big');
  if (big) {
    const perKb = big.o / 64;
    out(`| 64 KB JSON at ${fixed.big?.rate ?? '?'}/s: every body kept, ≤ 1.25 × the native floor (gzip level 1 + JSON.parse: ${f(nativeFloorUs, 0)} µs here) | ${sign(big.o, 0)} µs = ${f(big.o / nativeFloorUs, 2)} × floor, ${f(perKb, 2)} µs/KB; ${leftOutOf(big.s, 'ours', roundsOf(big.s, 'fixed'))} bodies left out | ${ok(big.o <= 1.25 * nativeFloorUs && complete(big.s, 'fixed'))} |`);
  }
  out();
}

if (dead.length) {
  out(`## Dead collector: RSS with 10 × our queue bound offered`);
  out();
  out(`Each configuration started fresh with its collector address pointing at a closed port (connection refused), warmed with 200 small GETs, then offered 64 KB JSON responses (a fresh buffer each; 8 concurrent keep-alive connections, at most ${quick ? 15 : 60} s) worth 10 × our maxQueueBytes: ${deadBoundBytes / 1048576} MiB for the test, and the default 64 MiB in the last row. The others run with their defaults (moesif-nodejs: an unbounded in-memory batch list, one retry; OpenTelemetry: maxQueueSize 2048 spans, no bodies). \`none\` shows what the app's own garbage (80 MB of response buffers) does to RSS.`);
  out();
  out(`| config | RSS before MB | peak RSS MB | peak − before MB | RSS ${settleMs / 1000} s after MB | 64 KB responses served (MB) | seconds |`);
  out('|---|---|---|---|---|---|---|');
  for (const d of dead) out(`| ${d.label} | ${mb(d.base)} | ${mb(d.peak)} | ${sign((d.peak - d.base) / 1024, 0)} | ${mb(d.after)} | ${d.served} (${f((d.served * payloads.bigBody.length) / 2 ** 20, 0)})${d.served < d.count ? ` of ${d.count} offered (time cap)` : ''} | ${f(d.secs, 1)}${d.alive ? '' : ' (process died)'} |`);
  out();
}

if (pipeline) {
  out('## Our delivery path alone (bench/pipeline)');
  out();
  out(`\`node bench/pipeline/run.mjs ${pipelineEvents}\`: record() → event assembly → serialization → gzip → local collector, in one process, unpinned.`);
  out();
  if (pipeline.code === 0) out(pipeline.out);
  else out(`Failed (exit ${pipeline.code}):\n\n\`\`\`\n${pipeline.err}\n\`\`\``);
  out();
}

out('## Failures and warnings');
out();
if (!failures.length && !warnings.length) out('None: every configuration delivered what it captures, and every Moesif-format body checked matched the app\'s bytes.');
for (const x of failures) out(`- **FAIL** ${x}`);
for (const x of warnings) out(`- warning: ${x}`);
const socketErrors = SCENARIOS.filter((x) => x.path).flatMap((s) => results[s.id].flatMap((r) => CONFIGS.filter((n) => r[n].socketErrors).map((n) => `${n} ${s.name}: ${r[n].socketErrors}`)));
if (socketErrors.length) out(`- wrk socket errors (timeouts/resets): ${socketErrors.join('; ')}`);
out();

const text = lines.join('\n');
console.log(text);
writeFileSync(outFile, text);
log(`wrote ${relative(process.cwd(), outFile)}`);
process.exitCode = failures.length ? 1 : 0;

function gitHead() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root }).toString().trim();
    return `${sha}${dirty ? ' (src/ modified)' : ''}`;
  } catch {
    return 'unknown';
  }
}
function ourBatchSize() {
  if (process.env.MOESIF_BATCH_SIZE) return process.env.MOESIF_BATCH_SIZE;
  try {
    return createRequire(import.meta.url)(join(root, 'dist', 'internal.js')).OPTIONS.batchSize.default;
  } catch {
    return '?';
  }
}
function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(join(here, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}
