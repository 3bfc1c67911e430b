// A collector that only counts events (gunzip + JSON.parse), in its own process so its CPU is
// not billed to the agent. Prints `listening <port>`; answers `GET /count` with the total.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

let events = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/count') return res.end(String(events));
    if (req.url === '/v1/events/batch') {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      events += JSON.parse(body.toString('utf8')).length;
      res.writeHead(201);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"sample_rate":100}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
