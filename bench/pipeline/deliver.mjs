// One measurement of the delivery path alone, for bench/pipeline/ab.mjs: records N captured
// exchanges of one shape, as the capture modules make them, into the agent of the given build,
// with the default batch size, and prints the process CPU µs per event from the first record()
// until the counting collector has them all (JSON on stdout).
//   node bench/pipeline/deliver.mjs <dist dir> <shape: small|echo|big> <events> <collector port>
// Env: MOESIF_BATCH_SIZE (the agent reads it), PACE=<events/s> (see offer), STATS=1 (stats() on stderr).
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [dist, shape, n, port] = process.argv.slice(2);
const N = Number(n);
const base = `http://127.0.0.1:${port}`;
const { enable, flush } = await import(pathToFileURL(join(dist, 'index.mjs')).href);
enable({ applicationId: 'bench', baseUri: base, eventQueueSize: 2 * N + 10, maxQueueBytes: 4 * 1024 * 1024 * 1024 });
const agent = globalThis[Symbol.for('moesif.agent')];

// What the bench servers send and answer (bench/incoming/server.mjs), as the capture sees it:
// raw request headers, the response's header block as written, bodies as chunks.
const echoText = JSON.stringify({ data: 'x'.repeat(1024 - 12) });
const big = JSON.stringify({ items: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: i * 1.5 })) });
const bigText = JSON.stringify({ pad: big.slice(0, 64 * 1024 - 12) });
const smallText = JSON.stringify({ ok: true, id: 42 });
const body = (chunk) => ({ chunks: [chunk], size: Buffer.byteLength(chunk), seen: Buffer.byteLength(chunk), truncated: false });
function exchange(i) {
  const now = Date.now();
  const response = shape === 'small' ? smallText : shape === 'echo' ? echoText : bigText;
  const post = shape === 'echo';
  return {
    direction: 'Incoming', startTime: now, endTime: now, method: post ? 'POST' : 'GET', url: `http://127.0.0.1:8080/${shape}`,
    requestHeaders: post ? ['Host', '127.0.0.1:8080', 'Content-Type', 'application/json', 'Content-Length', '1024'] : ['Host', '127.0.0.1:8080'],
    requestBody: post ? body(Buffer.from(echoText)) : undefined,
    status: 200,
    responseHeaders: `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-moesif-transaction-id: ${crypto.randomUUID()}\r\nDate: ${new Date(now).toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: ${response.length}\r\n\r\n`,
    responseBody: body(response),
    remoteAddress: '127.0.0.1', requestLimit: 100000, responseLimit: 100000,
  };
}
const count = async () => Number(await (await fetch(`${base}/count`)).text());

// PACE=<events/s>: offered at that rate (in 10 ms slices) rather than as fast as the loop turns,
// which builds a backlog when delivery cannot keep up.
const pace = Number(process.env.PACE ?? 0);
async function offer(total) {
  // In slices, as requests would arrive, so batches flow while we record.
  const slice = pace ? Math.max(1, Math.round(pace / 100)) : 100;
  for (let sent = 0; sent < total; ) {
    for (let i = 0; i < slice && sent < total; i++, sent++) agent.record(exchange(sent));
    await (pace ? sleep(10) : new Promise((r) => setImmediate(r)));
  }
  await flush();
}
const warm = Math.min(10_000, N);
const before = await count();
await offer(warm); // JIT warm-up, not measured
while ((await count()) < before + warm) await sleep(20);
const cpu0 = process.cpuUsage();
await offer(N);
while ((await count()) < before + warm + N) await sleep(20);
const cpu = process.cpuUsage(cpu0);
if (process.env.STATS) console.error(JSON.stringify((await import(pathToFileURL(join(dist, 'index.mjs')).href)).stats()), await count());
console.log(JSON.stringify({ cpuUsPerEvent: (cpu.user + cpu.system) / N }));
process.exit(0);
