// NestJS with its Express adapter (ESM): hooks get the Express request/response under Nest.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'nest.mjs', session: true, kinds: { req: 'express-request', res: 'express-response' } });
