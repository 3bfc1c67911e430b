// The far end of the outgoing scenarios, in its own process and with no agent: POST /up/echo
// answers a small JSON with the size it got; GET /up/json answers a fixed ~1 KB JSON. Keep-alive,
// so a call costs what the client does. Prints `listening <port>`.
import http from 'node:http';

const json = Buffer.from(JSON.stringify({ id: 123, name: 'bench', tags: ['a', 'b', 'c'], text: 'x'.repeat(900) }));
const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => {
    const body = req.method === 'POST' ? Buffer.from(`{"received":${n},"ok":true}`) : json;
    res.writeHead(req.url === '/up/echo' || req.url === '/up/json' ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
