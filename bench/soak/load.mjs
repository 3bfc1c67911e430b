// The soak's client, in its own process: `node load.mjs <port> <rate/s> <seconds>`. Steady,
// bounded load: every 20 ms a slice of rate/50 POSTs (skipped, and counted, if 200 are already
// in flight, so a slow app is not buried). Each path carries a unique id (/soak/<id>). Prints one
// JSON line at the end: { sent, ok, failed, skipped, ids: [...] } (ids of the 200 answers).
import http from 'node:http';

const [port, rate, seconds] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const body = JSON.stringify({ order: { items: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, qty: i + 1 })) }, note: 'soak'.repeat(40) });
const perSlice = Math.max(1, Math.round(rate / 50));
let seq = 0;
let inFlight = 0;
const counts = { sent: 0, ok: 0, failed: 0, skipped: 0 };
const ids = [];

function one() {
  const id = `k${(seq++).toString(36)}`;
  counts.sent++;
  inFlight++;
  const req = http.request({ host: '127.0.0.1', port, path: `/soak/${id}`, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => {
      inFlight--;
      if (res.statusCode === 200) {
        counts.ok++;
        ids.push(id);
      } else counts.failed++;
    });
  });
  req.on('error', () => {
    inFlight--;
    counts.failed++;
  });
  req.end(body);
}

const end = Date.now() + seconds * 1000;
const timer = setInterval(() => {
  if (Date.now() >= end) {
    clearInterval(timer);
    const wait = setInterval(() => {
      if (inFlight > 0) return;
      clearInterval(wait);
      process.stdout.write(JSON.stringify({ ...counts, ids }) + '\n', () => process.exit(0));
    }, 50);
    return;
  }
  for (let i = 0; i < perSlice; i++) {
    if (inFlight >= 200) counts.skipped++;
    else one();
  }
}, 20);
