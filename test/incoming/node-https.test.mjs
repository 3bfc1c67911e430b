// A node:https server (self-signed certificate in test/fixtures/certs) under the --require preload:
// the scheme comes from the TLS socket.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'node-http.mjs', env: { HTTPS: '1' }, https: true, preload: 'require', session: true, kinds: { req: 'node-request', res: 'node-response' } });
