// A bare node:http server (ESM) under the --import preload.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'node-http.mjs', session: true, kinds: { req: 'node-request', res: 'node-response' } });
