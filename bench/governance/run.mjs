// Governance overhead end to end, by hand:
//   node bench/governance/run.mjs [rounds=3] [seconds=4] [connections=32] [only=a,b (server names, by prefix)]
// The same small server bare and under the preload with four rule sets from rules.mjs (none; 50
// regex rules that do not apply; 30 regex + 10 user + 10 company rules, the user identified from
// a JWT on every request, none applies; 49 that do not apply + 1 that blocks every request),
// loaded with wrk (its own process) in interleaved rounds. Prints req/s, p99 and the server's CPU
// µs per request (utime+stime from /proc / requests). Needs `wrk`. Only 127.0.0.1 is contacted.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuUs, median, startListening, wrk as runWrk } from '../lib/measure.mjs';
import { jwt } from './rules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [rounds = 3, seconds = 4, connections = 32] = process.argv.slice(2, 5).map(Number);
const only = process.argv[5]?.split(',');

const start = (script, args = [], env = {}) => startListening(process.execPath, [...args, join(here, script)], { env });

const tmp = mkdtempSync(join(tmpdir(), 'moesif-gov-bench-'));
const lua = join(tmp, 'jwt.lua');
writeFileSync(lua, `wrk.headers["Authorization"] = "Bearer ${jwt()}"\nwrk.headers["X-Forwarded-For"] = "192.168.1.20"\n`);

const wrk = (port) => runWrk({ port, path: '/small', lua, seconds, connections, allowNon2xx: true });

const collector = await start('collector.mjs');
const preload = ['--import', join(root, 'register.js')];
const agentEnv = (set) => ({ MOESIF_APPLICATION_ID: 'bench', MOESIF_BASE_URI: `http://127.0.0.1:${collector.port}/${set}` });
const modes = {
  bare: () => start('server.mjs'),
  'agent, no rules': () => start('server.mjs', preload, agentEnv('none')),
  '50 regex rules': () => start('server.mjs', preload, agentEnv('regex50')),
  '30 regex + 10 user + 10 company': () => start('server.mjs', preload, agentEnv('mixed50')),
  '50 rules, 1 blocks every request': () => start('server.mjs', preload, agentEnv('block50')),
};
const servers = {};
for (const [name, make] of Object.entries(modes)) if (!only || only.some((o) => name.startsWith(o))) servers[name] = await make();
await sleep(1500); // rules and config fetched at start
const results = Object.fromEntries(Object.keys(servers).map((k) => [k, []]));
for (const s of Object.values(servers)) await wrk(s.port); // warm-up, not counted
for (let r = 0; r < rounds; r++) {
  for (const [name, s] of Object.entries(servers)) {
    const before = cpuUs(s.child.pid);
    const w = await wrk(s.port);
    const cpu = (cpuUs(s.child.pid) - before) / w.requests;
    results[name].push({ ...w, cpu });
    if (name.includes('blocks') ? w.non2xx !== w.requests : w.non2xx !== 0) throw new Error(`${name}: ${w.non2xx} of ${w.requests} non-2xx`);
  }
}
console.log(`node ${process.version}; wrk -c${connections}, ${seconds}s × ${rounds} rounds, GET /small (medians)`);
console.log('| server | req/s | p99 ms | CPU µs/request |\n|---|---|---|---|');
for (const [name, rs] of Object.entries(results)) {
  console.log(`| ${name} | ${median(rs.map((x) => x.rps)).toFixed(0)} | ${median(rs.map((x) => x.p99ms)).toFixed(2)} | ${median(rs.map((x) => x.cpu)).toFixed(1)} |`);
}
for (const s of [...Object.values(servers), collector]) s.child.kill();
