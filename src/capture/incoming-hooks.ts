import { runHook } from '../event/hooks.js';
import type { Exchange } from '../event/types.js';
import type { ResolvedOptions } from '../options/types.js';
import { frameworkView, userIdOf } from './frameworks.js';

/** What an incoming request's hooks (and the framework's auth and session) say about it. */
export type HookFacts = Pick<Exchange, 'userId' | 'companyId' | 'sessionToken' | 'metadata' | 'apiVersion'>;

/**
 * Runs the user's hooks for an incoming request with the framework's own objects (SPEC §5), and
 * falls back to the framework's user and session; undefined when `skip` says to leave it out.
 * Every hook is contained (runHook): a throw costs that fact, never the request.
 */
export function incomingHookFacts(options: ResolvedOptions, req: any, res: any): HookFacts | undefined {
  const view = frameworkView(req, res);
  const hookReq = view.req;
  const hookRes = view.res;
  if (options.skip && runHook('skip', options.skip, hookReq, hookRes) === true) return undefined;
  return {
    userId: (options.identifyUser && runHook('identifyUser', options.identifyUser, hookReq, hookRes)) ?? userIdOf(view.user),
    companyId: options.identifyCompany && runHook('identifyCompany', options.identifyCompany, hookReq, hookRes),
    sessionToken: (options.getSessionToken && runHook('getSessionToken', options.getSessionToken, hookReq, hookRes)) ?? view.session,
    metadata: options.getMetadata && runHook('getMetadata', options.getMetadata, hookReq, hookRes),
    apiVersion: options.getApiVersion && runHook('getApiVersion', options.getApiVersion, hookReq, hookRes),
  };
}
