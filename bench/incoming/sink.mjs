// A minimal collector for the bench: answers 201 to event batches and counts the events (so the
// report can show nothing was dropped). GET /count answers the count.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

let events = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/v1/events/batch') {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      events += JSON.parse(body.toString('utf8')).length;
    }
    if (req.url === '/count') return res.end(String(events));
    res.writeHead(req.url === '/v1/config' ? 200 : 201, { 'content-type': 'application/json' });
    res.end(req.url === '/v1/config' ? '{"sample_rate":100}' : '');
  });
});
server[Symbol.for('moesif.ignoreServer')] = true;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
