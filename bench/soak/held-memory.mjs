// What an event held in the queue really costs, against what maxQueueBytes counts for it. The app
// (under the preload, --expose-gc) takes the soak's requests with its collector down and
// MOESIF_MAX_QUEUE_BYTES=16 MiB, until the bound drops events; heap + external memory after a
// full GC, before and after, over the events held, is the real cost per event.
//   node bench/soak/held-memory.mjs            (prints one JSON line; bench/soak/run.mjs quotes it)
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BOUND = 16 * 1024 * 1024;
const closed = net.createServer().listen(0, '127.0.0.1');
await new Promise((r) => closed.once('listening', r));
const deadPort = closed.address().port;
await new Promise((r) => closed.close(r)); // nothing listens there now: the collector is down

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOESIF_') && k !== 'NODE_OPTIONS'));
const app = spawn(process.execPath, ['--expose-gc', '--import', `${ROOT}register.js`, `${ROOT}test/fixtures/faults/echo-app.mjs`], {
  env: { ...env, MOESIF_APPLICATION_ID: 'held-memory', MOESIF_BASE_URI: `http://127.0.0.1:${deadPort}`, MOESIF_MAX_QUEUE_BYTES: String(BOUND) },
  stdio: ['ignore', 'pipe', 'ignore'],
});
const [port, controlPort] = await new Promise((resolve) => {
  let out = '';
  app.stdout.on('data', (d) => {
    out += d;
    const m = /listening (\d+) control (\d+)/.exec(out);
    if (m) resolve([Number(m[1]), Number(m[2])]);
  });
});
const memory = async () => (await fetch(`http://127.0.0.1:${controlPort}/memory`)).json();

// The soak's request: a ~400-byte JSON body, echoed.
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const body = JSON.stringify({ order: { items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1 })) }, note: 'soak'.repeat(40) });
let seq = 0;
const one = () =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/soak/k${(seq++).toString(36)}`, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
async function send(n) {
  const end = seq + n;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (seq < end) await one();
  }));
}

await send(2_000); // warm-up: JIT, sockets, the first (failed) batches
const before = await memory();
let m = before;
while (!(m.stats.dropped.queue_bytes > 0)) {
  await send(2_000);
  m = await memory();
}
const held = m.stats.queued - before.stats.queued;
const grown = m.heapUsed + m.external - (before.heapUsed + before.external);
const result = {
  bodyBytes: body.length,
  maxQueueBytes: BOUND,
  eventsHeldAtTheBound: m.stats.queued,
  countedBytesPerEvent: Math.round(BOUND / m.stats.queued),
  realBytesPerEvent: Math.round(grown / held),
  rssAtTheBound: m.rss,
};
console.log(JSON.stringify(result));
agent.destroy();
app.kill();
