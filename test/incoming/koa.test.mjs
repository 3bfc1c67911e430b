// Koa 3, an ESM app (import Koa from 'koa'): hooks get ctx and ctx.response; ctx.state.user is found.
import { frameworkSuite } from './suite.mjs';

frameworkSuite({ script: 'koa.mjs', session: false, kinds: { req: 'koa-context', res: 'koa-response' } });
