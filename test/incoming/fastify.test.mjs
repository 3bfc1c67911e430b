// Fastify 5 (ESM): hooks get Fastify's request/reply; request.user and request.session are found.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'fastify.mjs', session: true, kinds: { req: 'fastify-request', res: 'fastify-reply' } });
