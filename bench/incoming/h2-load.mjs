// Load for h2-run.mjs, in its own process: S sessions × C concurrent streams against one port
// for T seconds (bounded), GET /small or POST /echo with a 1 KB JSON body. Prints `{ requests }`.
//   node bench/incoming/h2-load.mjs <port> <path> <seconds> [sessions=4] [concurrent=16]
import http2 from 'node:http2';

const [port, path, seconds, sessions = 4, concurrent = 16] = process.argv.slice(2);
const body = path === '/echo' ? JSON.stringify({ data: 'x'.repeat(1024 - 12) }) : undefined;
const until = Date.now() + Number(seconds) * 1000;
let requests = 0;
async function lane(session) {
  while (Date.now() < until) {
    await new Promise((resolve, reject) => {
      const stream = session.request(body ? { ':path': path, ':method': 'POST', 'content-type': 'application/json' } : { ':path': path });
      stream.on('error', reject);
      stream.on('data', () => {});
      stream.on('end', resolve);
      stream.end(body);
    });
    requests++;
  }
}
const all = Array.from({ length: Number(sessions) }, () => http2.connect(`http://127.0.0.1:${port}`));
await Promise.all(all.flatMap((s) => Array.from({ length: Number(concurrent) }, () => lane(s))));
for (const s of all) s.close();
console.log(JSON.stringify({ requests }));
