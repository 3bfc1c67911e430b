// A collector that answers at once (201 to batches, a config to /v1/config): the agent's delivery
// runs as it would against Moesif, without a network in the numbers.
import http from 'node:http';

let events = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/v1/config') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"sample_rate":100}');
    }
    events++;
    res.writeHead(201);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('message', (m) => m === 'count' && process.send({ batches: events }));
