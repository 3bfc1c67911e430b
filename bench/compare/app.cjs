'use strict';
// The target app, the same code in every configuration; the runner starts one process per
// configuration (BENCH_AGENT):
//   none            no agent
//   ours            this repo's agent through the preload (`node --import <repo>/register.js app.cjs`),
//                   options from MOESIF_* env (outgoing capture on)
//   moesif-nodejs   moesif-nodejs 3.x as its README shows for a plain node:http server: the
//                   middleware made once from the options and called at the top of the handler,
//                   the handler as its `next`; startCaptureOutgoing() for outgoing calls
//   otel            OpenTelemetry, preloaded with `--require ./otel-setup.cjs`
// Incoming: GET /small (a 20-byte JSON), POST /echo (reads the JSON body and echoes it),
// GET /big (a 64 KB JSON: payloads.cjs). Outgoing, on an IPC message {cmd:'calls', kind, n, port}: n sequential
// calls to the upstream server (another process) — kind 'http-post' (http.request POST of a
// ~530-byte JSON, answer read with 'data' events) or 'fetch-get' (global fetch GET, ~1 KB JSON
// read with res.json()) — answered with the wall µs per call. {cmd:'usage'} answers the process
// CPU time (user + system, all threads) in µs and the number of requests the server has started.
const http = require('node:http');

const { small, bigBody, postPayload: payload, applicationId } = require('./payloads.cjs');

function handler(req, res) {
  if (req.url === '/small') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(small);
  }
  if (req.url === '/big') {
    // A fresh buffer per response, as an app that renders its JSON has: an agent that keeps a
    // reference to what was written then holds real memory (a shared constant would hide it).
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(Buffer.from(bigBody));
  }
  if (req.url === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    return;
  }
  res.statusCode = 404;
  res.end();
}

let listener = handler;
if (process.env.BENCH_AGENT === 'moesif-nodejs') {
  const moesif = require('moesif-nodejs');
  const middleware = moesif({
    applicationId,
    baseUri: process.env.BENCH_MOESIF_BASE_URI,
    logBody: true,
    batchMaxTime: Number(process.env.BENCH_FLUSH_MS ?? 1000),
  });
  middleware.startCaptureOutgoing();
  listener = (req, res) => middleware(req, res, () => handler(req, res));
}

// Requests started, counted before any agent code runs: the runner divides CPU by this (wrk's own
// count misses the requests still in flight when it stops, which the app serves all the same).
let served = 0;
const inner = listener;
const server = http.createServer((req, res) => {
  served++;
  inner(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function httpPost(port) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/up/echo', method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function fetchGet(port) {
  const res = await fetch(`http://127.0.0.1:${port}/up/json`);
  return res.json();
}

process.on('message', async (m) => {
  if (m.cmd === 'usage') {
    const u = process.cpuUsage();
    return process.send({ cpuUs: u.user + u.system, served });
  }
  if (m.cmd === 'calls') {
    const call = m.kind === 'http-post' ? httpPost : fetchGet;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < m.n; i++) {
      const body = await call(m.port);
      if (!(body.ok === true || body.id === 123)) throw new Error(`unexpected answer ${JSON.stringify(body)}`);
    }
    process.send({ wallUs: Number(process.hrtime.bigint() - t0) / 1000 / m.n });
  }
});
process.on('disconnect', () => process.exit(0));
