// Express 4, a CommonJS app under the --require preload.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'express.cjs', env: { EXPRESS: 'express4' }, preload: 'require', session: true, kinds: { req: 'express-request', res: 'express-response' } });
