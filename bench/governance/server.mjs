// The server under load: GET /small answers a small JSON body.
import http from 'node:http';

const small = JSON.stringify({ ok: true, id: 42 });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
// For profiling (node --cpu-prof): SIGUSR2 exits normally, so the profile is written.
process.on('SIGUSR2', () => process.exit(0));
