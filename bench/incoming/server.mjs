// The server under load: the same code bare and under the agent (the runner adds the preload);
// routes in handler.mjs.
import http from 'node:http';
import { handle } from './handler.mjs';

const server = http.createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
// For profiling (node --cpu-prof): SIGUSR2 exits normally, so the profile is written.
process.on('SIGUSR2', () => process.exit(0));
