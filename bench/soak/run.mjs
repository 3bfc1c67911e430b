// bench/soak: an app under the real preload, steady bounded load from a separate client process,
// and a collector that goes down and comes back every 30 s. Every second it samples the app's RSS
// and event-loop delay; at the end it writes soak.svg (RSS and delay over time, collector-down
// periods shaded) and RESULTS.md (peak RSS over the post-warm-up baseline, events sent vs
// received, lost, duplicated). By hand, not in CI:
//   npm run build && node bench/soak/run.mjs [minutes=10]      (SOAK_RATE=300 requests/s)
import http from 'node:http';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const gunzipAsync = promisify(gunzip);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here('../../');
const MINUTES = Number(process.argv[2] ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 300);
const FLAP_S = 30;
const WARMUP_S = 10; // JIT and first sockets; the baseline is the rest of the first up period
const DURATION_S = Math.round(MINUTES * 60);
let t0 = performance.now(); // reset when the load starts
const since = () => (performance.now() - t0) / 1000;

// ---- the collector: counts each event by its request id; goes down (refuses) and up on command.
const received = new Map(); // id → times received
let batches = 0;
let cutBatches = 0;
let cutEvents = 0;
const collector = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.url === '/v1/events/batch') {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = await gunzipAsync(raw);
      const events = JSON.parse(raw.toString('utf8'));
      for (const e of events) {
        const m = /\/soak\/([a-z0-9]+)/.exec(e.request.uri);
        if (m) received.set(m[1], (received.get(m[1]) ?? 0) + 1);
      }
      batches++;
      // Stored, but the outage may cut the answer off: the agent cannot know, and sends it again.
      const cut = () => {
        cutBatches++;
        cutEvents += events.length;
      };
      if (req.socket.destroyed) return cut();
      res.on('close', () => res.writableFinished || cut());
      res.writeHead(201);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/v1/config' ? '{"sample_rate":100}' : '{}');
  });
});
collector[Symbol.for('moesif.ignoreServer')] = true;
let collectorPort = 0;
let up = false;
function bringUp() {
  return new Promise((resolve) => {
    const tryListen = () => {
      collector.once('error', (err) => {
        // Someone took the port while it was down: try again shortly (reported as down time).
        console.error(`collector cannot listen again (${err.code}); retrying`);
        setTimeout(tryListen, 1000);
      });
      collector.listen(collectorPort, '127.0.0.1', () => {
        collector.removeAllListeners('error');
        collectorPort = collector.address().port;
        up = true;
        resolve();
      });
    };
    tryListen();
  });
}
function bringDown() {
  up = false;
  collector.close();
  collector.closeAllConnections();
}

// ---- the app under the preload (the fault tests' echo app: its control server is not captured).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MOESIF_') && k !== 'NODE_OPTIONS'));
await bringUp();
// SOAK_NODE_ARGS: extra node flags for the app, e.g. "--trace-gc" to see what a delay spike was.
const nodeArgs = (process.env.SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean);
const app = spawn(process.execPath, [...nodeArgs, '--expose-gc', '--import', `${ROOT}register.js`, `${ROOT}test/fixtures/faults/echo-app.mjs`], {
  env: { ...env, MOESIF_APPLICATION_ID: 'soak', MOESIF_BASE_URI: `http://127.0.0.1:${collectorPort}` },
  stdio: ['ignore', 'pipe', 'inherit'],
});
app.stdout.on('data', (d) => process.env.SOAK_NODE_ARGS && process.stdout.write(`[app ${since().toFixed(1)} s] ${d}`));
function listening(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+) control (\d+)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}
const [appPort, controlPort] = await listening(app);
// The same app without the agent and without load, as a reference: its event-loop delay is what
// the machine itself (other processes on the same cores) costs a Node process.
const reference = spawn(process.execPath, [`${ROOT}test/fixtures/faults/echo-app.mjs`], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const [, referencePort] = await listening(reference);
async function control(path, port = controlPort) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: path === '/flush' ? 'POST' : 'GET' });
  return res.json();
}

// ---- the load, in its own process.
const load0 = os.loadavg();
t0 = performance.now();
console.log(`soak: ${MINUTES} min, ${RATE} req/s, collector flapping every ${FLAP_S} s; app ${appPort}, collector ${collectorPort}`);
const load = spawn(process.execPath, [here('load.mjs'), String(appPort), String(RATE), String(DURATION_S)], { stdio: ['ignore', 'pipe', 'inherit'] });
const loadResult = new Promise((resolve) => {
  let out = '';
  load.stdout.on('data', (d) => (out += d));
  load.on('exit', () => resolve(JSON.parse(out)));
});

// ---- flapping and sampling.
const downs = []; // [start s, end s]
const flapper = setInterval(() => {
  if (since() >= DURATION_S - 1) return;
  if (up) {
    bringDown();
    downs.push([since(), undefined]);
  } else {
    downs.at(-1)[1] = since();
    bringUp();
  }
}, FLAP_S * 1000);
// Heap after a full GC, warmed up and before the first outage, and again after the final drain:
// a leak shows as growth between the two (each forced GC is a short blip in the delay plot).
let heapStart;
setTimeout(async () => (heapStart = await control('/memory')), (FLAP_S - 3) * 1000);
const samples = [];
let sampling = false;
const sampler = setInterval(async () => {
  if (sampling) return; // never pile up samples behind a slow answer
  sampling = true;
  try {
    const [h, s, ref] = await Promise.all([control('/health'), control('/stats'), control('/health', referencePort)]);
    samples.push({ t: since(), rss: h.rss, cpuMs: h.cpuMs, eld: h.eld, refEld: ref.eld, queued: s.queued, up, received: received.size });
    if (samples.length % 30 === 0) console.log(`${Math.round(since())} s: rss ${(h.rss / 1e6).toFixed(1)} MB, eld p99 ${h.eld.p99} ms, queued ${s.queued}, received ${received.size}, collector ${up ? 'up' : 'down'}`);
  } catch (err) {
    console.error(`sample failed: ${err.message}`);
  } finally {
    sampling = false;
  }
}, 1000);

const loaded = await loadResult;
clearInterval(flapper);
if (!up) {
  downs.at(-1)[1] = since();
  await bringUp();
}
// Drain: the agent may be in a backoff pause after the last outage (up to 30 s).
const drainStart = since();
let final;
for (;;) {
  final = await control('/flush');
  if ((final.queued === 0 && received.size >= final.sent) || since() - drainStart > 120) break;
  await new Promise((r) => setTimeout(r, 1000));
}
await new Promise((r) => setTimeout(r, 1500)); // the last samples of the drain
clearInterval(sampler);
const heapEnd = await control('/memory');
const load1 = os.loadavg();
app.kill();
reference.kill();
collector.close();
collector.closeAllConnections();

// ---- numbers.
const okIds = loaded.ids;
let lost = 0;
let twice = 0;
for (const id of okIds) {
  const n = received.get(id) ?? 0;
  if (n === 0) lost++;
  if (n > 1) twice++;
}
const after = samples.filter((s) => s.t >= WARMUP_S);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Baseline: the app under load with the collector up, before the first outage.
const baseline = median(samples.filter((s) => s.t >= WARMUP_S && s.t < FLAP_S).map((s) => s.rss));
const peak = Math.max(...after.map((s) => s.rss));
// One cycle = an up period and the outage after it. Flat after warm-up = the same range each cycle.
const cycles = [];
for (let start = 0; start < samples.at(-1).t; start += 2 * FLAP_S) {
  const inCycle = samples.filter((s) => s.t >= start && s.t < start + 2 * FLAP_S);
  if (inCycle.length < FLAP_S) continue; // a partial cycle at the end
  const rss = inCycle.map((s) => s.rss);
  cycles.push({ start, min: Math.min(...rss), max: Math.max(...rss), held: Math.max(...inCycle.map((s) => s.queued)) });
}
const lastMinute = samples.filter((s) => s.t >= samples.at(-1).t - 60);
const endRss = median(lastMinute.map((s) => s.rss));
const p99s = after.map((s) => s.eld.p99);
const maxEld = Math.max(...after.map((s) => s.eld.max));
const refP99s = after.map((s) => s.refEld.p99);
const refMaxEld = Math.max(...after.map((s) => s.refEld.max));
const cpuPct = (after.reduce((a, s) => a + s.cpuMs, 0) / 1000 / (after.at(-1).t - after[0].t)) * 100;
const mb = (b) => (b / 1e6).toFixed(1);
const droppedTotal = Object.values(final.dropped).reduce((a, b) => a + b, 0);
const dropped = Object.entries(final.dropped).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

const held = await new Promise((resolve) => {
  const probe = spawn(process.execPath, [here('held-memory.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  probe.stdout.on('data', (d) => (out += d));
  probe.on('exit', () => resolve(JSON.parse(out)));
});
writeFileSync(here('soak.svg'), svg());
writeFileSync(`${os.tmpdir()}/soak-samples.json`, JSON.stringify({ downs, samples }));
const results = `# Soak: steady load, collector flapping every ${FLAP_S} s

Command: \`npm run build && node bench/soak/run.mjs ${MINUTES}\` (SOAK_RATE=${RATE})

Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString().slice(0, 10)}.
The machine was shared: other workers ran test suites meanwhile (load average ${load0.map((x) => x.toFixed(1)).join(' / ')} at the
start, ${load1.map((x) => x.toFixed(1)).join(' / ')} at the end), so the delay figures include their noise.

The app (test/fixtures/faults/echo-app.mjs, under \`--import moesif/register\`, default options) took
${RATE} POSTs/s with a ~500-byte JSON body from a client process (bench/soak/load.mjs) for ${MINUTES} min.
The collector (in the runner) closed its port every other ${FLAP_S} s: ${downs.length} outages, shaded in the plot.
RSS and event-loop delay (perf_hooks.monitorEventLoopDelay, per 1 s window) were sampled every second.

![RSS and event-loop delay](soak.svg)

| | |
|---|---|
| requests sent / answered 200 / failed / skipped (client's in-flight cap) | ${loaded.sent} / ${loaded.ok} / ${loaded.failed} / ${loaded.skipped} |
| events captured / sent by the agent (stats) | ${final.captured} / ${final.sent} |
| events received by the collector (distinct request ids) | ${received.size} |
| events with no event at the collector | ${lost} |
| **events lost within bounds** (no event, and not counted as dropped by a bound) | **${lost - droppedTotal}** |
| events received twice | ${twice} (batches stored whose answer an outage cut off: ${cutBatches}, ${cutEvents} events; the agent, never told, rightly sent them again) |
| agent's dropped counters | ${dropped} |
| agent retries | ${final.retries} |
| RSS baseline (median of ${WARMUP_S}–${FLAP_S} s: warmed up, collector up, before the first outage) | ${mb(baseline)} MB |
| **peak RSS over baseline** (after ${WARMUP_S} s; includes the events held during an outage) | **+${mb(peak - baseline)} MB** (peak ${mb(peak)} MB) |
| RSS over the last minute (median) | ${mb(endRss)} MB (${endRss >= baseline ? '+' : ''}${mb(endRss - baseline)} MB over baseline) |
| **heap after a full GC**: at ${FLAP_S - 3} s (before the first outage) / after the final drain | **${mb(heapStart.heapUsed)} MB / ${mb(heapEnd.heapUsed)} MB** (external ${mb(heapStart.external)} / ${mb(heapEnd.external)} MB; events held ${heapStart.stats.queued} / ${heapEnd.stats.queued}) |
| event-loop delay p99 per second: median / worst | ${median(p99s)} ms / ${Math.max(...p99s)} ms |
| event-loop delay, worst single delay | ${maxEld} ms |
| the same for an idle Node process beside it (no agent, no load: the machine's own noise) | p99 ${median(refP99s)} ms / ${Math.max(...refP99s)} ms; worst ${refMaxEld} ms |
| app CPU (whole process, incl. the agent's worker thread) | ${cpuPct.toFixed(0)}% of one core |
| drain after the load stopped | ${(since() - drainStart).toFixed(0)} s (backoff pause after the last outage) |

RSS per ${2 * FLAP_S} s cycle (collector up, then down); flat after warm-up means the same range cycle after cycle:

| cycle from | RSS min | RSS max | most events held |
|---|---|---|---|
${cycles.map((c) => `| ${c.start / 60} min | ${mb(c.min)} MB | ${mb(c.max)} MB | ${c.held} |`).join('\n')}

What one held event costs (\`node bench/soak/held-memory.mjs\`: the same requests, collector down,
maxQueueBytes ${held.maxQueueBytes / 1024 / 1024} MiB, heap + external memory after a full GC): ${held.realBytesPerEvent} bytes, of which the
queue counts ${held.countedBytesPerEvent} against maxQueueBytes (${held.eventsHeldAtTheBound} events held at the bound).

While the collector is down, events wait in the agent's queue (bounds: eventQueueSize 1,000,000,
maxQueueBytes 64 MB by default; a ${FLAP_S} s outage at ${RATE}/s holds ~${RATE * FLAP_S} events, well inside them), so
RSS climbs during an outage and falls back once the batches drain; "lost within bounds" counts the
events that fit and still did not arrive. The agent notices the collector is back only when its
backoff pause ends (doubling from 1 s to at most 30 s while the collector stays away), so events keep
piling up for a while after each outage: "most events held" runs past ${RATE} × ${FLAP_S}.
`;
writeFileSync(here('RESULTS.md'), results);
console.log(results);
process.exit(0);

function svg() {
  const W = 960;
  const H = 240;
  const L = 60;
  const R = 20;
  const T = Math.max(samples.at(-1).t, 1);
  const x = (t) => L + ((W - L - R) * t) / T;
  const panel = (top, title, series, unit, yMax) => {
    const y = (v) => top + H - 30 - ((H - 50) * Math.min(v, yMax)) / yMax;
    let out = `<text x="${L}" y="${top + 14}" font-size="13" font-weight="bold">${title}</text>`;
    for (const [a, b] of downs) out += `<rect x="${x(a).toFixed(1)}" y="${top + 20}" width="${(x(b ?? T) - x(a)).toFixed(1)}" height="${H - 50}" fill="#f4cccc"/>`;
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      out += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`;
    }
    for (let m = 0; m * 60 <= T; m++) out += `<line x1="${x(m * 60)}" x2="${x(m * 60)}" y1="${top + H - 30}" y2="${top + H - 26}" stroke="#333"/><text x="${x(m * 60)}" y="${top + H - 14}" font-size="10" text-anchor="middle">${m} min</text>`;
    out += `<text x="14" y="${top + H / 2}" font-size="11" transform="rotate(-90 14 ${top + H / 2})" text-anchor="middle">${unit}</text>`;
    series.forEach(({ label, color, value, dash }, i) => {
      const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(value(s)).toFixed(1)}`).join(' ');
      out += `<polyline fill="none" stroke="${color}" stroke-width="1.3"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts}"/>`;
      out += `<line x1="${W - R - 200}" x2="${W - R - 180}" y1="${top + 10 + i * 14}" y2="${top + 10 + i * 14}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${W - R - 175}" y="${top + 14 + i * 14}" font-size="11">${label}</text>`;
    });
    return out;
  };
  const rssMax = Math.ceil((Math.max(...samples.map((s) => s.rss)) * 1.15) / 1e7) * 10;
  const eldMax = Math.max(5, Math.ceil(Math.max(...samples.map((s) => s.eld.p99)) * 1.2));
  const body =
    panel(0, `RSS of the app (MB); shaded: collector down; dashed: baseline (warmed up, before the first outage)`, [
      { label: 'RSS', color: '#1f77b4', value: (s) => s.rss / 1e6 },
      { label: `baseline ${mb(baseline)} MB`, color: '#999', value: () => baseline / 1e6, dash: '4 3' },
    ], 'MB', rssMax) +
    panel(H + 10, `Event-loop delay per 1 s window (ms); max clipped at the top`, [
      { label: 'p99', color: '#d62728', value: (s) => s.eld.p99 },
      { label: 'p50', color: '#2ca02c', value: (s) => s.eld.p50 },
      { label: 'max', color: '#ff7f0e', value: (s) => s.eld.max, dash: '2 2' },
      { label: 'p99, idle process beside it', color: '#7f7f7f', value: (s) => s.refEld.p99, dash: '5 2' },
    ], 'ms', eldMax);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 10}" viewBox="0 0 ${W} ${2 * H + 10}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`;
}
