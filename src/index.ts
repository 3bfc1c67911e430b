import { getAgent } from './agent.js';
import type { Stats } from './delivery/stats.js';
import type { MoesifOptions } from './options/types.js';

export type { MoesifOptions, OutgoingRequestView, OutgoingResponseView } from './options/types.js';
export type { EventModel } from './event/types.js';
export type { Stats, DropReason } from './delivery/stats.js';
export { InvalidEntityError } from './delivery/entities.js';
export { VERSION } from './version.js';
export { moesifInterceptor } from './capture/undici-interceptor.js';

/** Any object with the fields Moesif documents; `user_id` is required. */
export type UserModel = { user_id: string; company_id?: string; metadata?: Record<string, unknown>; [key: string]: unknown };
export type CompanyModel = { company_id: string; company_domain?: string; metadata?: Record<string, unknown>; [key: string]: unknown };
export type SubscriptionModel = { subscription_id: string; company_id: string; status: string; metadata?: Record<string, unknown>; [key: string]: unknown };
export type ActionModel = { action_name: string; request: { uri: string; [key: string]: unknown }; [key: string]: unknown };

/** The running agent. Every method acts on the one agent of the process. */
export interface MoesifAgent {
  updateUser(user: UserModel): Promise<void>;
  updateUsersBatch(users: UserModel[]): Promise<void>;
  updateCompany(company: CompanyModel): Promise<void>;
  updateCompaniesBatch(companies: CompanyModel[]): Promise<void>;
  updateSubscription(subscription: SubscriptionModel): Promise<void>;
  updateSubscriptionsBatch(subscriptions: SubscriptionModel[]): Promise<void>;
  sendAction(action: ActionModel): Promise<void>;
  sendActionsBatch(actions: ActionModel[]): Promise<void>;
  /** Sends every queued event now; settles when the collector answered (or the attempt failed). */
  flush(): Promise<void>;
  /** Flushes within timeoutMs (default 5000), then stops capture. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  stats(): Stats;
}

export const updateUser = (user: UserModel) => getAgent().sendEntities('user', user, false);
export const updateUsersBatch = (users: UserModel[]) => getAgent().sendEntities('user', users, true);
export const updateCompany = (company: CompanyModel) => getAgent().sendEntities('company', company, false);
export const updateCompaniesBatch = (companies: CompanyModel[]) => getAgent().sendEntities('company', companies, true);
export const updateSubscription = (subscription: SubscriptionModel) => getAgent().sendEntities('subscription', subscription, false);
export const updateSubscriptionsBatch = (subscriptions: SubscriptionModel[]) => getAgent().sendEntities('subscription', subscriptions, true);
export const sendAction = (action: ActionModel) => getAgent().sendEntities('action', action, false);
export const sendActionsBatch = (actions: ActionModel[]) => getAgent().sendEntities('action', actions, true);
export const flush = (): Promise<void> => getAgent().flush();
export const shutdown = (options?: { timeoutMs?: number }): Promise<void> => getAgent().shutdown(options?.timeoutMs);
export const stats = (): Stats => getAgent().stats();

const api: MoesifAgent = {
  updateUser,
  updateUsersBatch,
  updateCompany,
  updateCompaniesBatch,
  updateSubscription,
  updateSubscriptionsBatch,
  sendAction,
  sendActionsBatch,
  flush,
  shutdown,
  stats,
};

/**
 * Turns capture on (or reconfigures the running agent) with options merged over the
 * environment and the config module. Never throws: invalid options print one message and leave
 * capture off.
 */
export function enable(options?: MoesifOptions): MoesifAgent {
  getAgent().enable(options, 'enable()');
  return api;
}

/** What the preload (moesif/register) calls: environment and config module only. */
export function autoEnable(): MoesifAgent {
  getAgent().enable(undefined, 'preload');
  return api;
}
