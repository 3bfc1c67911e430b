// HTTP/2 incoming capture overhead, by hand (Node 22+: Node 20 publishes no HTTP/2 channels):
//   node bench/incoming/h2-run.mjs [rounds=3] [seconds=4]
// The same HTTP/2 server (h2-server.mjs) bare, under the preload with every event skipped after
// capture (the request path alone), and as shipped delivering to a local sink; loaded by
// h2-load.mjs in its own process, rounds interleaved; server CPU µs per request from /proc.
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { canPin, cpuUs, median, startListening } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [rounds = 3, seconds = 4] = process.argv.slice(2).map(Number);
// Servers on core 1, the load (and the sink) on core 0, where the machine has two cores.
const start = (args = [], env = {}) => startListening(process.execPath, [...args, join(here, 'h2-server.mjs')], { env, cores: canPin ? '1' : undefined });
const sink = await startListening(process.execPath, [join(here, 'sink.mjs')]);
const agentEnv = { MOESIF_APPLICATION_ID: 'bench', MOESIF_BASE_URI: `http://127.0.0.1:${sink.port}` };
const servers = {
  bare: await start(),
  capture: await start(['--import', join(root, 'register.js')], { ...agentEnv, MOESIF_CONFIG: join(here, 'skip-all.config.mjs') }),
  agent: await start(['--import', join(root, 'register.js')], agentEnv),
};
const load = (port, path, secs) => {
  const args = [join(here, 'h2-load.mjs'), String(port), path, String(secs)];
  const out = canPin ? execFileSync('taskset', ['-c', '0', process.execPath, ...args], { encoding: 'utf8' }) : execFileSync(process.execPath, args, { encoding: 'utf8' });
  return JSON.parse(out).requests;
};
const sinkCount = async () => Number(await (await fetch(`http://127.0.0.1:${sink.port}/count`)).text());
async function drained() {
  let last = await sinkCount();
  for (let still = 0; still < 10; ) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await sinkCount();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

const scenarios = [{ name: 'small GET', path: '/small' }, { name: '1 KB JSON echo', path: '/echo' }];
const modes = Object.keys(servers);
for (const s of scenarios) for (const m of modes) load(servers[m].port, s.path, 1); // warm-up
await drained();
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0].model.trim()}, h2-load 4 sessions × 16 streams, ${seconds} s, ${rounds} rounds interleaved${canPin ? ', servers on core 1, load on core 0' : ''}\n`);
console.log('| scenario | mode | req/s | CPU µs/req | added µs/req | events / requests |\n|---|---|---|---|---|---|');
for (const s of scenarios) {
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    const r = {};
    for (const m of round % 2 ? [...modes].reverse() : modes) {
      const before = cpuUs(servers[m].child.pid);
      const sent = await sinkCount();
      const requests = load(servers[m].port, s.path, seconds);
      const delivered = (await drained()) - sent;
      r[m] = { requests, rps: requests / seconds, cpu: (cpuUs(servers[m].child.pid) - before) / requests, delivered };
    }
    rows.push(r);
  }
  for (const m of modes) {
    const added = m === 'bare' ? '–' : median(rows.map((r) => r[m].cpu - r.bare.cpu)).toFixed(1);
    const events = m === 'agent' ? `${rows.reduce((n, r) => n + r.agent.delivered, 0)} / ${rows.reduce((n, r) => n + r.agent.requests, 0)}` : '–';
    console.log(`| ${s.name} | ${m} | ${median(rows.map((r) => r[m].rps)).toFixed(0)} | ${median(rows.map((r) => r[m].cpu)).toFixed(1)} | ${added} | ${events} |`);
  }
}
for (const { child } of [sink, ...Object.values(servers)]) child.kill();
