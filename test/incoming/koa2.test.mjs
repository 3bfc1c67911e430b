// Koa 2 under the --require preload: the same ctx lookup in the older major.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'koa.mjs', env: { KOA: 'koa2' }, preload: 'require', session: false, kinds: { req: 'koa-context', res: 'koa-response' } });
