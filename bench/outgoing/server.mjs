// The far end for the outgoing bench (no agent here): POST /echo answers a small JSON with what it
// got; GET /json answers a fixed ~1 KB JSON. Keep-alive, so a call costs what the client does.
import http from 'node:http';

const json = Buffer.from(JSON.stringify({ id: 123, name: 'bench', tags: ['a', 'b', 'c'], text: 'x'.repeat(900) }));
const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => {
    const body = req.method === 'POST' ? Buffer.from(`{"received":${n},"ok":true}`) : json;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
