// bench/pipeline: the delivery path alone, from record() to a local collector, with 1 KB JSON
// bodies. Prints events/s end to end, main-thread µs per event (event-loop active time, which
// is what the app's requests compete with), whole-process CPU µs per event (gzip runs on the
// libuv pool), and the cost of record() itself (the only part on a user's request path).
//   node bench/pipeline/run.mjs [events=50000]
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { enable, flush, stats } from '../../dist/index.mjs';

const N = Number(process.argv[2] ?? 50_000);
const collector = spawn(process.execPath, [fileURLToPath(new URL('counting-collector.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => collector.stdout.on('data', (d) => { const m = /listening (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
const base = `http://127.0.0.1:${port}`;
enable({ applicationId: 'bench', baseUri: base, batchSize: 100, batchMaxTime: 200, eventQueueSize: N + 10, maxQueueBytes: 1024 * 1024 * 1024 });
const agent = globalThis[Symbol.for('moesif.agent')];

const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, ok: true })) }).padEnd(1024, ' '));
const reqHeaders = ['Host', 'api.acme.com', 'Content-Type', 'application/json', 'User-Agent', 'bench/1.0', 'Authorization', 'Bearer abc.def.ghi', 'Accept', '*/*'];
const resHeaderBlock = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1024\r\nDate: Wed, 25 Nov 2026 14:00:00 GMT\r\nConnection: keep-alive\r\n\r\n';
function exchange(i) {
  const now = Date.now();
  return {
    direction: 'Incoming', startTime: now, endTime: now + 1, method: 'POST', url: `https://api.acme.com/items/${i}?q=1`,
    requestHeaders: reqHeaders, requestBody: { chunks: [body], size: body.length, seen: body.length, truncated: false },
    status: 200, responseHeaders: resHeaderBlock, responseBody: { chunks: [body], size: body.length, seen: body.length, truncated: false },
    remoteAddress: '127.0.0.1', requestLimit: 100000, responseLimit: 100000,
  };
}
async function count() {
  return Number(await (await fetch(`${base}/count`)).text());
}

// Warm-up (JIT), not measured.
for (let i = 0; i < 2000; i++) agent.record(exchange(i));
await flush();
while ((await count()) < 2000) await new Promise((r) => setTimeout(r, 20));

const start = performance.now();
const elu0 = performance.eventLoopUtilization();
const cpu0 = process.cpuUsage();
let recordMs = 0;
for (let sent = 0; sent < N; ) {
  // Offer load in slices, as requests would, so batches flow while we record.
  const t = performance.now();
  for (let i = 0; i < 500 && sent < N; i++, sent++) agent.record(exchange(sent));
  recordMs += performance.now() - t;
  await new Promise((r) => setImmediate(r));
}
await flush();
while ((await count()) < N + 2000) await new Promise((r) => setTimeout(r, 5));
const elapsed = performance.now() - start;
const elu = performance.eventLoopUtilization(elu0);
const cpu = process.cpuUsage(cpu0);
const s = stats();
collector.kill();

const us = (ms) => ((ms * 1000) / N).toFixed(2);
console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}`);
console.log(`events: ${N} with 1 KB JSON request and response bodies; batchSize 100`);
console.log(`| metric | value |\n|---|---|`);
console.log(`| events/s, record() → collector | ${Math.round(N / (elapsed / 1000))} |`);
console.log(`| main-thread µs/event (event-loop active) | ${us(elu.active)} |`);
console.log(`| of which record() (request path) µs/event | ${us(recordMs)} |`);
console.log(`| process CPU µs/event (incl. gzip on the pool) | ${((cpu.user + cpu.system) / N).toFixed(2)} |`);
console.log(`| sent / captured / dropped | ${s.sent} / ${s.captured} / ${JSON.stringify(s.dropped)} |`);
