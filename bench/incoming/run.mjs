// Incoming-capture overhead, by hand:
//   node bench/incoming/run.mjs [rounds=5] [seconds=5] [connections=32] [paceMs=0]
// Starts the same server three times (bare; under the preload with every event skipped after
// capture; under the preload as shipped, delivering to a local sink), loads each with wrk (its own
// process) in interleaved rounds, and prints req/s, p99 and server CPU µs per request (utime+stime
// of the server process from /proc, all threads, / requests) against bare in the same round.
// paceMs > 0: each wrk connection waits that long between requests (wrk's delay()), so every
// server gets about the same request rate and CPU per request is compared at equal load; 0 loads
// to saturation. Needs `wrk` (apt-get install wrk). Only 127.0.0.1 is ever contacted.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuUs, median, startListening, wrk as runWrk } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [rounds = 5, seconds = 5, connections = 32, paceMs = 0] = process.argv.slice(2).map(Number);

const start = (script, args = [], env = {}) => startListening(process.execPath, [...args, join(here, script)], { env });

const tmp = mkdtempSync(join(tmpdir(), 'moesif-bench-'));
const echoBody = JSON.stringify({ data: 'x'.repeat(1024 - 12) });
const pace = paceMs > 0 ? `function delay()\n  return ${paceMs}\nend\n` : '';
writeFileSync(join(tmp, 'echo.lua'), `wrk.method = "POST"\nwrk.body = '${echoBody}'\nwrk.headers["Content-Type"] = "application/json"\n${pace}`);
writeFileSync(join(tmp, 'get.lua'), pace || '-- saturate\n');
const scenarios = [
  { name: 'small GET', path: '/small', lua: join(tmp, 'get.lua'), kb: 0 },
  { name: '1 KB JSON echo', path: '/echo', lua: join(tmp, 'echo.lua'), kb: 2 },
  { name: '64 KB JSON response', path: '/big', lua: join(tmp, 'get.lua'), kb: 64 },
];

const wrk = (port, scenario, duration = seconds) => runWrk({ port, path: scenario.path, lua: scenario.lua, seconds: duration, connections });

const sink = await start('sink.mjs');
const bare = await start('server.mjs');
const agent = await start('server.mjs', ['--import', join(root, 'register.js')], {
  MOESIF_APPLICATION_ID: 'bench',
  MOESIF_BASE_URI: `http://127.0.0.1:${sink.port}`,
});
// The same agent, every request captured then skipped (skip hook): the request path alone.
const capture = await start('server.mjs', ['--import', join(root, 'register.js')], {
  MOESIF_APPLICATION_ID: 'bench',
  MOESIF_BASE_URI: `http://127.0.0.1:${sink.port}`,
  MOESIF_CONFIG: join(here, 'skip-all.config.mjs'),
});
const servers = { bare, capture, agent };
const MODES = Object.keys(servers);

const sinkCount = async () => Number(await (await fetch(`http://127.0.0.1:${sink.port}/count`)).text());

/** Waits until the sink has had no new event for 2.5 s (longer than batchMaxTime): the queue is delivered. */
async function drained() {
  let last = await sinkCount();
  let still = performance.now();
  while (performance.now() - still < 2500) {
    await sleep(250);
    const now = await sinkCount();
    if (now !== last) [last, still] = [now, performance.now()];
  }
  return last;
}

async function measure(mode, scenario) {
  const { child, port } = servers[mode];
  const before = cpuUs(child.pid);
  const sent = await sinkCount();
  const r = await wrk(port, scenario);
  // The agent's delivery of this run's events is charged to this run: CPU is read once it is done.
  const delivered = (await drained()) - sent;
  return { ...r, cpuPerReq: (cpuUs(child.pid) - before) / r.requests, delivered };
}

for (const s of scenarios) for (const mode of MODES) await wrk(servers[mode].port, s, 2); // warm-up (JIT)
await drained();

const results = scenarios.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [i, s] of scenarios.entries()) {
    const order = round % 2 ? [...MODES].reverse() : MODES;
    const r = {};
    for (const mode of order) r[mode] = await measure(mode, s);
    results[i].push(r);
    console.error(`round ${round + 1} ${s.name}: ${MODES.map((m) => `${m} ${r[m].rps.toFixed(0)} req/s ${r[m].cpuPerReq.toFixed(1)} µs/req`).join('; ')}`);
  }
}

const line = `node ${process.version}, ${cpus().length} × ${cpus()[0].model.trim()}, wrk -t1 -c${connections} -d${seconds}s${paceMs ? `, each connection pacing ${paceMs} ms between requests` : ', saturating'}, ${rounds} rounds interleaved`;
console.log(`\n${line}\n`);
console.log('"capture" = the agent with a skip hook that drops every event after capture (the request path alone); "agent" = the agent as shipped (capture, then event assembly, gzip and delivery in the same process).\n');
console.log('| scenario | mode | req/s | req/s ratio | p99 ms | p99 ratio | CPU µs/req | added µs/req | added µs per KB captured |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [i, s] of scenarios.entries()) {
  const rs = results[i];
  const m = (f) => median(rs.map(f));
  for (const mode of MODES) {
    const added = m((r) => r[mode].cpuPerReq - r.bare.cpuPerReq);
    const vs = mode === 'bare';
    console.log(
      `| ${s.name} | ${mode} | ${m((r) => r[mode].rps).toFixed(0)} | ${vs ? '1' : m((r) => r[mode].rps / r.bare.rps).toFixed(3)} | ${m((r) => r[mode].p99ms).toFixed(2)} | ${vs ? '1' : m((r) => r[mode].p99ms / r.bare.p99ms).toFixed(2)} | ${m((r) => r[mode].cpuPerReq).toFixed(1)} | ${vs ? '–' : added.toFixed(1)} | ${!vs && s.kb ? (added / s.kb).toFixed(2) : '–'} |`,
    );
  }
}
console.log('\nMedians of per-round values. Events the sink received for the measured "agent" requests (the rest dropped at the queue bounds, counted in stats().dropped):');
for (const [i, s] of scenarios.entries()) {
  const req = results[i].reduce((n, r) => n + r.agent.requests, 0);
  const got = results[i].reduce((n, r) => n + r.agent.delivered, 0);
  console.log(`- ${s.name}: ${got} of ${req} (${((100 * got) / req).toFixed(1)}%)`);
}
for (const { child } of [sink, ...Object.values(servers)]) child.kill();
