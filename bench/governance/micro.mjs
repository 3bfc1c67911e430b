// The cost of evaluating 50 rules per request, in process, by hand:
//   node bench/governance/micro.mjs [iterations=200000]
// Bundles src/governance (esbuild, from the sources) and drives the real Gate.intercept with a
// request-shaped object, as the server's emit wrapper does, for each rule set; prints ns per
// request (median of 7 runs after warm-up). No network.
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { regex50, mixed50, mixedConfig, block50, jwt } from './rules.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(mkdtempSync(join(tmpdir(), 'moesif-gov-bench-')), 'governance.mjs');
buildSync({
  stdin: { contents: "export { Gate } from './src/governance/gate.ts'; export { compileRules } from './src/governance/rules.ts';", resolveDir: root, loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: out,
  logLevel: 'error',
});
const { Gate, compileRules } = await import(pathToFileURL(out).href);
const iterations = Number(process.argv[2] ?? 200_000);

const options = { identifyUser: undefined, identifyCompany: undefined, authorizationHeaderName: 'authorization', authorizationUserIdField: 'sub', requestMaxBodySize: 100_000 };
const headers = { host: '127.0.0.1:8080', 'user-agent': 'Mozilla/5.0 (bench)', accept: 'application/json', 'x-forwarded-for': '192.168.1.20', authorization: `Bearer ${jwt()}` };
const request = () => ({ method: 'GET', url: '/small?page=2', headers, socket: { remoteAddress: '127.0.0.1' }, once() {}, removeListener() {} });
const response = () => ({ statusCode: 200, headersSent: false, writableEnded: false, setHeader() {}, hasHeader: () => false, end() {} });

function gateFor(rules, config = {}) {
  const gate = new Gate({
    options: () => options,
    userRulesFor: (id) => config.user_rules?.[id],
    companyRulesFor: (id) => config.company_rules?.[id],
  });
  gate.setRules(compileRules(rules));
  return gate;
}

const cases = [
  ['50 regex rules, none applies (route, verb, header, ip, OR groups)', gateFor(regex50), false],
  ['30 regex + 10 user + 10 company rules: user identified from a JWT, in no cohort', gateFor(mixed50, mixedConfig), false],
  ['49 rules that do not apply + 1 that blocks, templated headers and body', gateFor(block50), true],
];

const noop = () => {};
function run(gate, n) {
  let taken = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (gate.intercept(null, 'request', request(), response(), noop, [])) taken++;
  return { ns: Number(process.hrtime.bigint() - start) / n, taken };
}
// The request/response objects alone, to subtract.
function baseline(n) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += request().url.length + response().statusCode;
  return Number(process.hrtime.bigint() - start) / n + sink * 0;
}

console.log(`node ${process.version}, ${iterations} requests per run, median of 7 runs`);
const base = [...Array(7)].map(() => baseline(iterations)).sort((a, b) => a - b)[3];
for (const [name, gate, blocks] of cases) {
  run(gate, iterations / 10); // warm-up
  const runs = [...Array(7)].map(() => run(gate, iterations));
  const ns = runs.map((r) => r.ns).sort((a, b) => a - b)[3] - base;
  if (runs.some((r) => r.taken !== (blocks ? iterations : 0))) throw new Error(`${name}: unexpected decisions ${JSON.stringify(runs.map((r) => r.taken))}`);
  console.log(`${name}: ${(ns / 1000).toFixed(2)} µs per request`);
}
