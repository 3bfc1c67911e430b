// The HTTP/2 server under load for h2-run.mjs: handler.mjs's routes on node:http2's
// compatibility API (h2-run.mjs uses GET /small and POST /echo).
import http2 from 'node:http2';
import { handle } from './handler.mjs';

const server = http2.createServer(handle);
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGUSR2', () => process.exit(0));
