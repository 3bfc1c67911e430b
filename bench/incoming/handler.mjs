// The request handler both bench servers run (server.mjs on node:http, h2-server.mjs on
// node:http2's compatibility API, which offers the same calls):
//   GET  /small   a small JSON answer
//   POST /echo    reads the JSON body and echoes it
//   GET  /big     a 64 KB JSON answer
const small = JSON.stringify({ ok: true, id: 42 });
const big = JSON.stringify({ items: Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: i * 1.5 })) }).slice(0, 64 * 1024 - 2) + '"}';
const bigBody = JSON.stringify({ pad: big.slice(0, 64 * 1024 - 12) });

export function handle(req, res) {
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
}
