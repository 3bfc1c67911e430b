// The server under load: the same code bare and under the agent (the runner adds the preload).
//   GET  /small   a small JSON answer
//   POST /echo    reads the JSON body and echoes it
//   GET  /big     a 64 KB JSON answer
import http from 'node:http';

const small = JSON.stringify({ ok: true, id: 42 });
const big = JSON.stringify({ items: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: i * 1.5 })) }).slice(0, 64 * 1024 - 2) + '"}';
const bigBody = JSON.stringify({ pad: big.slice(0, 64 * 1024 - 12) });

const server = http.createServer((req, res) => {
  if (req.url === '/small') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(small);
  }
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(bigBody);
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
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
// For profiling (node --cpu-prof): SIGUSR2 exits normally, so the profile is written.
process.on('SIGUSR2', () => process.exit(0));
