// The HTTP/2 server under load for h2-run.mjs: the compatibility API, a small JSON answer
// (as server.mjs's GET /small) and a 1 KB JSON echo (POST /echo).
import http2 from 'node:http2';

const small = JSON.stringify({ ok: true, id: 42 });
const server = http2.createServer((req, res) => {
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
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(small);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGUSR2', () => process.exit(0));
