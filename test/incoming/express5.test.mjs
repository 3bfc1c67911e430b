// Express 5, a CommonJS app under the --import preload.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'express.cjs', env: { EXPRESS: 'express5' }, session: true, kinds: { req: 'express-request', res: 'express-response' } });
