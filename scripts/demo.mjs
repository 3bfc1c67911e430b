// `npm run demo`: the bundled local collector, the demo service under the real preload with
// outgoing capture on, a scripted mix of traffic, and a table of what the collector received.
//   npm run demo            runs, prints, exits
//   npm run demo -- --keep  leaves the collector and its viewer up (Ctrl-C to stop)
//   npm run demo -- --data DIR   stores the events in DIR (default .moesif-data/demo)
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const dataFlag = process.argv.indexOf('--data');
const dataDir = dataFlag !== -1 ? process.argv[dataFlag + 1] : join(ROOT, '.moesif-data', 'demo');
const { startCollector } = createRequire(import.meta.url)('../dist/cli.js');

const collector = await startCollector({ port: 0, dataDir, quiet: true });
const startedAt = Date.now();

// The upstream service the demo calls out to (plays a third-party API; not under the agent).
const upstream = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url.startsWith('/forecast') ? '{"city":"Lisbon","sky":"sunny","c":21}' : '{"sku":"A-1","on_hand":42}');
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

const app = spawn(process.execPath, ['--import', join(ROOT, 'register.js'), join(ROOT, 'test/fixtures/demo/app.mjs')], {
  cwd: ROOT,
  env: {
    ...process.env,
    MOESIF_APPLICATION_ID: 'demo',
    MOESIF_BASE_URI: collector.url,
    MOESIF_CAPTURE_OUTGOING_REQUESTS: 'true',
    MOESIF_BATCH_MAX_TIME: '200',
    UPSTREAM_URL: upstreamUrl,
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((resolve, reject) => {
  app.stdout.on('data', (d) => {
    const m = /listening (\d+)/.exec(String(d));
    if (m) resolve(Number(m[1]));
  });
  app.on('exit', (code) => reject(new Error(`demo app exited early (${code})`)));
});
const base = `http://127.0.0.1:${port}`;

// A user identified from a JWT: the agent reads the `sub` claim, never verifies the signature.
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'user_ada', name: 'Ada' })}.signature`;
const traffic = [
  ['POST', '/api/orders', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, JSON.stringify({ items: [{ sku: 'A-1', qty: 2 }], note: 'gift' })],
  ['POST', '/api/upload', { 'content-type': 'application/octet-stream' }, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3])],
  ['GET', '/api/fail'],
  ['GET', '/api/slow'],
  ['GET', '/api/weather'],
  ['GET', '/api/stock'],
  ['POST', '/api/signup', { 'content-type': 'application/json' }, JSON.stringify({ userId: 'user_ada', companyId: 'acme', email: 'ada@acme.test' })],
  ['GET', '/api/missing'],
];
for (const [method, path, headers, body] of traffic) {
  const res = await fetch(base + path, { method, headers, body });
  await res.arrayBuffer();
}

// SIGTERM: the agent delivers its queue, then the app ends by the signal.
app.kill('SIGTERM');
await new Promise((r) => app.once('exit', r));

const api = async (path) => (await fetch(collector.url + path)).json();
const expected = traffic.length + 2; // each incoming request, plus the fetch and http.get out
// Only this demo's events: another process may share the collector (or, in tests, its port).
let full = [];
for (let i = 0; i < 50; i++) {
  const summaries = (await api('/api/events?limit=500')).events.filter((e) => Date.parse(e.received_at) >= startedAt);
  const details = await Promise.all(summaries.map((summary) => api(`/api/events/${summary.id}`)));
  full = details.filter((d) => d.app_id === 'demo').map((d) => d.event);
  if (full.length >= expected) break;
  await new Promise((r) => setTimeout(r, 100));
}
const users = (await api('/api/users?q=user_ada')).items ?? [];
const companies = (await api('/api/companies?q=acme')).items ?? [];

const rows = full
  .sort((a, b) => Date.parse(a.request.time) - Date.parse(b.request.time))
  .map((e) => ({
    time: e.request.time.slice(11, 23),
    dir: e.direction === 'Outgoing' ? 'out' : 'in',
    verb: e.request.verb,
    uri: e.request.uri.replace(/^https?:\/\/[^/]+/, ''),
    status: e.response?.status ?? '',
    ms: e.response ? Date.parse(e.response.time) - Date.parse(e.request.time) : '',
    user: e.user_id ?? '',
    body: e.response?.body === undefined ? '' : e.response.transfer_encoding === 'json' ? JSON.stringify(e.response.body).slice(0, 40) : `base64 ${String(e.response.body).length} chars`,
  }));
console.log(`\nCaptured ${rows.length} events (${rows.filter((r) => r.dir === 'in').length} incoming, ${rows.filter((r) => r.dir === 'out').length} outgoing):\n`);
printTable(rows);
console.log(`\nUsers: ${users.map((u) => u.id).join(', ') || 'none'}   Companies: ${companies.map((c) => c.id).join(', ') || 'none'}`);
console.log(`Viewer:   ${collector.url}/`);
console.log(`Data dir: ${relative(process.cwd(), collector.dataDir) || '.'}`);

const missing = [];
if (rows.filter((r) => r.dir === 'in').length < traffic.length) missing.push('incoming events');
if (rows.filter((r) => r.dir === 'out').length < 2) missing.push('outgoing events');
if (!rows.some((r) => r.user === 'user_ada')) missing.push('the JWT-identified user');
if (!users.length || !companies.length) missing.push('the user and company updates');
if (missing.length) console.log(`\nMissing: ${missing.join(', ')}`);

upstream.close();
if (keep) {
  console.log('\n--keep: the collector and its viewer stay up; Ctrl-C to stop.');
  process.on('SIGINT', () => collector.close().then(() => process.exit(0)));
} else {
  await collector.close();
  process.exitCode = missing.length ? 1 : 0;
}

function printTable(list) {
  const cols = ['time', 'dir', 'verb', 'status', 'ms', 'user', 'uri', 'body'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...list.map((r) => String(r[c]).length))]));
  const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join('  ').trimEnd();
  console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => '-'.repeat(width[c])).join('  '));
  for (const r of list) console.log(line(r));
}
