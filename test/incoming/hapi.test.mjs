// Hapi 21 (ESM): hooks get Hapi's request (and Node's response); request.auth.credentials is the user.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'hapi.mjs', session: false, kinds: { req: 'hapi-request', res: 'node-response' } });
