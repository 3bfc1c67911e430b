// The floor of delivery on this machine: what gzip and HTTP alone cost per event, with nothing
// of the agent. Event JSON is made up front (not measured); then batches of B are joined,
// gzipped at level 1 and POSTed over one keep-alive socket (raw HTTP/1.1, up to 3 batches in
// flight, as the agent) to the counting collector in its own process. Prints process CPU µs per
// event. Any agent that ships the collector's format (gzip, batches of at most 25) pays at
// least this for delivery, before building a single event.
//   node bench/pipeline/floor.mjs [events=40000] [batch=25] [events per second, 0 = as fast as it goes]
// A rate (say 5000, about what bench/outgoing's sequential calls make) sends each batch when its
// events would have arrived, so the collector's process goes idle between batches as it does
// under a steady, moderate load.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 40_000);
const B = Number(process.argv[3] ?? 25);
const RATE = Number(process.argv[4] ?? 0);
const collector = spawn(process.execPath, [fileURLToPath(new URL('counting-collector.mjs', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((ok) => collector.stdout.on('data', (d) => { const m = /listening (\d+)/.exec(String(d)); if (m) ok(Number(m[1])); }));

// A small GET's event as the agent writes it (about 650 bytes), each with its own id and times.
const event = (i) => JSON.stringify({
  request: { time: new Date(Date.now() + i).toISOString(), uri: 'http://127.0.0.1:8080/small', verb: 'GET', headers: { host: '127.0.0.1:8080' }, ip_address: '127.0.0.1' },
  response: { time: new Date(Date.now() + i + 1).toISOString(), status: 200, headers: { 'content-type': 'application/json', 'x-moesif-transaction-id': crypto.randomUUID(), date: new Date().toUTCString(), connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-length': '20' }, body: { ok: true, id: 42 }, transfer_encoding: 'json' },
  direction: 'Incoming', weight: 1,
});

const socket = connect(port, '127.0.0.1');
await new Promise((ok) => socket.once('connect', ok));
socket.setNoDelay(true);
const waiting = [];
socket.on('data', (d) => {
  // The collector's answers are tiny and come whole: one status line each.
  for (let at = d.indexOf('HTTP/1.1 '); at !== -1; at = d.indexOf('HTTP/1.1 ', at + 1)) waiting.shift()();
});
function post(body) {
  socket.write(`POST /v1/events/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body);
  return new Promise((ok) => waiting.push(ok));
}
async function run(jsons) {
  const inFlight = new Set();
  const start = performance.now();
  for (let i = 0; i < jsons.length; i += B) {
    while (inFlight.size >= 3) await Promise.race(inFlight);
    if (RATE > 0) {
      const due = start + ((i + B) * 1000) / RATE; // when this batch's last event would have come
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const sent = post(gzipSync(`[${jsons.slice(i, i + B).join(',')}]`, { level: 1 })).then(() => inFlight.delete(sent));
    inFlight.add(sent);
  }
  await Promise.all(inFlight);
}
await run(Array.from({ length: 10_000 }, (_, i) => event(i))); // warm-up
const jsons = Array.from({ length: N }, (_, i) => event(i));
const cpu0 = process.cpuUsage();
await run(jsons);
const cpu = process.cpuUsage(cpu0);
console.log(`batches of ${B}${RATE ? `, ${RATE} events/s` : ''}: ${((cpu.user + cpu.system) / N).toFixed(2)} µs of CPU per event for gzip + HTTP alone (${N} events of ${jsons[0].length} bytes)`);
socket.destroy();
collector.kill();
