import type { Agent } from 'node:http';

/**
 * The http.Agents that carry the agent's own requests (batches, config, entities). Outgoing
 * capture skips every request made through one of them, so our traffic can never be captured.
 * Kept on globalThis so a second copy of the package sees the first copy's agents too.
 */
const KEY = Symbol.for('moesif.ownAgents');
const registry: WeakSet<Agent> = ((globalThis as any)[KEY] ??= new WeakSet<Agent>());

export function markOwnAgent(agent: Agent): void {
  registry.add(agent);
}

export function isOwnAgent(agent: unknown): boolean {
  return typeof agent === 'object' && agent !== null && registry.has(agent as Agent);
}
