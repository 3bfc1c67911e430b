// Summarizes a .cpuprofile: self time by function and by file, top entries.
//   node bench/incoming/profile-summary.mjs PROFILE.cpuprofile [top=30]
import { readFileSync } from 'node:fs';

const [file, top = 30] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const files = new Map();
for (const [id, t] of self) {
  const { callFrame: c } = byId.get(id);
  const key = `${c.functionName || '(anon)'} ${c.url.replace(/^.*\/(node_modules|dist|internal)\//, '$1/')}:${c.lineNumber}`;
  fn.set(key, (fn.get(key) ?? 0) + t);
  const f = c.url.includes('/dist/') ? 'moesif dist' : c.url.startsWith('node:') ? c.url.split('/').slice(0, 2).join('/') : c.url || c.functionName;
  files.set(f, (files.get(f) ?? 0) + t);
}
const show = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(top)).map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`total ${(total / 1000).toFixed(0)} ms\n\nby function:\n${show(fn)}\n\nby file:\n${show(files)}`);

// Inclusive time of the functions named in INCLUSIVE (comma list), e.g. INCLUSIVE=onRequestStart,serialize
if (process.env.INCLUSIVE) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const names = process.env.INCLUSIVE.split(',');
  const incl = new Map(names.map((n) => [n, 0]));
  for (const [id, t] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur).callFrame.functionName;
      if (incl.has(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, incl.get(name) + t);
      }
    }
  }
  console.log('\ninclusive:');
  for (const [n, t] of incl) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0)} ms  ${n}`);
}
