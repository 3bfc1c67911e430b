// The delivery path alone, per event, for two builds in one run (A/B of a change):
//   node bench/pipeline/ab.mjs <dist A> <dist B> [rounds=5] [events=20000]
// e.g. `git worktree add /tmp/before HEAD~1 && (cd /tmp/before && npm ci && npm run build)`, then
// `node bench/pipeline/ab.mjs /tmp/before/dist dist`. For each event shape (small GET, 1 KB echo,
// 64 KB response) it runs A and B as separate processes, alternating which goes first per round,
// against one counting collector in its own process; prints process CPU µs per event (record()
// to delivered: assembly, JSON, gzip, HTTP) as medians over rounds, and B − A.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const [a, b, rounds = 5, events = 20000] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: node bench/pipeline/ab.mjs <dist A> <dist B> [rounds] [events]');
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const collector = spawn(process.execPath, [here('counting-collector.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((ok) => collector.stdout.on('data', (d) => { const m = /listening (\d+)/.exec(String(d)); if (m) ok(Number(m[1])); }));
const run = (dist, shape) => JSON.parse(execFileSync(process.execPath, [here('deliver.mjs'), resolve(dist), shape, String(shape === 'big' ? Math.ceil(events / 10) : events), String(port)], { encoding: 'utf8' })).cpuUsPerEvent;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

console.log(`A: ${a}\nB: ${b}\n${rounds} rounds; process CPU µs per event, record() → delivered\n`);
console.log('| shape | A | B | B − A |\n|---|---|---|---|');
for (const shape of ['small', 'echo', 'big']) {
  const res = { a: [], b: [] };
  for (let r = 0; r < Number(rounds); r++) {
    for (const which of r % 2 ? ['b', 'a'] : ['a', 'b']) res[which].push(run(which === 'a' ? a : b, shape));
  }
  const [ma, mb] = [median(res.a), median(res.b)];
  console.log(`| ${shape} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(mb - ma >= 0 ? '+' : '') + (mb - ma).toFixed(1)} |`);
}
collector.kill();
