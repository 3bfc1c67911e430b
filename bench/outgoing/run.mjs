// Outgoing capture cost (figures: RESULTS.md): sequential http.request POSTs and fetch GETs (body
// read) against a local server, in interleaved rounds so every mode sees the same machine:
//   bare      no agent
//   capture   the agent, outgoing capture on, bodies captured, every call then skipped by
//             skipOutgoing (capture-only.config.cjs): the cost of capture itself
//   agent     the agent, outgoing capture on, bodies captured, events built, gzipped and
//             delivered to a local sink: everything a call costs (delivery runs in the client)
// Prints µs per call and client CPU µs per call (medians over rounds).
//
//   node bench/outgoing/run.mjs [rounds=12] [calls=2000]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { median } from '../lib/measure.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const rounds = Number(process.argv[2] ?? 12);
const calls = Number(process.argv[3] ?? 2000);

async function start(script, args = [], options = {}) {
  const child = fork(join(here, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  const [message] = await once(child, 'message');
  return { child, message };
}

const server = await start('server.mjs');
const sink = await start('sink.mjs');
const port = server.message.port;
const agentEnv = {
  ...process.env,
  MOESIF_APPLICATION_ID: 'bench',
  MOESIF_BASE_URI: `http://127.0.0.1:${sink.message.port}`,
  MOESIF_CAPTURE_OUTGOING_REQUESTS: 'true',
};

const rows = [];
for (const kind of ['http-post', 'fetch-get']) {
  const preload = { execArgv: ['--import', join(root, 'register.js')] };
  const clients = {
    bare: (await start('client.mjs', [kind, port], { env: process.env })).child,
    capture: (await start('client.mjs', [kind, port], { env: { ...agentEnv, MOESIF_CONFIG: join(here, 'capture-only.config.cjs') }, ...preload })).child,
    agent: (await start('client.mjs', [kind, port], { env: agentEnv, ...preload })).child,
  };
  const results = { bare: [], capture: [], agent: [] };
  const round = async (name, c) => {
    c.send({ calls });
    const [m] = await once(c, 'message');
    results[name].push(m);
  };
  const names = Object.keys(clients);
  for (let r = 0; r < 2; r++) for (const n of names) await round(n, clients[n]); // warm-up
  for (const n of names) results[n].length = 0;
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]); // rotate who goes first
    for (const n of order) await round(n, clients[n]);
  }
  for (const c of Object.values(clients)) c.kill();
  const m = (n) => ({ wall: median(results[n].map((x) => x.wall)), cpu: median(results[n].map((x) => x.cpu)) });
  rows.push({ kind, b: m('bare'), c: m('capture'), a: m('agent') });
}
server.child.kill();
sink.child.kill();

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${rounds} rounds × ${calls} calls, medians`);
const pct = (x, b) => `${x >= b ? '+' : ''}${(((x - b) / b) * 100).toFixed(1)}%`;
const add = (x, b) => `${x >= b ? '+' : ''}${(x - b).toFixed(1)}`;
console.log('| calls | mode | µs/call | added | CPU µs/call | added CPU µs/call |');
console.log('|---|---|---|---|---|---|');
for (const { kind, b, c, a } of rows) {
  console.log(`| ${kind} | bare | ${b.wall.toFixed(1)} | | ${b.cpu.toFixed(1)} | |`);
  console.log(`| ${kind} | capture only | ${c.wall.toFixed(1)} | ${pct(c.wall, b.wall)} | ${c.cpu.toFixed(1)} | ${add(c.cpu, b.cpu)} |`);
  console.log(`| ${kind} | capture + delivery | ${a.wall.toFixed(1)} | ${pct(a.wall, b.wall)} | ${a.cpu.toFixed(1)} | ${add(a.cpu, b.cpu)} |`);
}
