// One client process (bare or under the agent, as the runner starts it). On each 'round' message
// it makes `calls` sequential calls of its kind and reports wall and CPU microseconds per call.
import http from 'node:http';

const [kind, port] = [process.argv[2], Number(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const payload = JSON.stringify({ user: 'bench', items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item-${i}` })) });

function httpPost() {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const url = `http://127.0.0.1:${port}/json`;
async function fetchGet() {
  const res = await fetch(url);
  return res.json();
}

const call = kind === 'http-post' ? httpPost : fetchGet;
process.on('message', async ({ calls }) => {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / calls;
  const cpu = process.cpuUsage(cpu0);
  process.send({ wall, cpu: (cpu.user + cpu.system) / calls });
});
process.send({ ready: true });
