import { valueAtPath } from '../event/identify.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import type { Transport } from './transport.js';

/** What each entity must carry (SPEC §3), and where it is posted. */
const ENTITIES = {
  user: { path: '/v1/users', required: ['user_id'] },
  company: { path: '/v1/companies', required: ['company_id'] },
  subscription: { path: '/v1/subscriptions', required: ['subscription_id', 'company_id', 'status'] },
  action: { path: '/v1/actions', required: ['action_name', 'request.uri'] },
} as const;

export type EntityKind = keyof typeof ENTITIES;

/** Thrown (as a rejection) for input that cannot be sent; nothing is sent. */
export class InvalidEntityError extends TypeError {}

function check(kind: EntityKind, item: unknown, where: string): void {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new InvalidEntityError(`${kind}${where} must be an object`);
  }
  for (const field of ENTITIES[kind].required) {
    const value = valueAtPath(item, field);
    if (value === undefined || value === null || value === '') {
      throw new InvalidEntityError(`${kind}${where} is missing ${field}, which is required`);
    }
    if (field !== 'request.uri' && typeof value !== 'string' && typeof value !== 'number') {
      throw new InvalidEntityError(`${kind}${where}: ${field} must be a string`);
    }
  }
}

/** Validates, then posts one entity or a batch; settles when the collector answered. */
export async function sendEntities(
  transport: Transport,
  kind: EntityKind,
  input: unknown,
  batch: boolean,
  onRetry: () => void,
): Promise<void> {
  if (batch) {
    if (!Array.isArray(input) || input.length === 0) throw new InvalidEntityError(`${kind}s must be a non-empty array`);
    input.forEach((item, i) => check(kind, item, ` at index ${i}`));
  } else {
    check(kind, input, '');
  }
  let body: Buffer;
  try {
    body = Buffer.from(JSON.stringify(input), 'utf8');
  } catch (err) {
    throw new InvalidEntityError(`${kind} cannot be sent as JSON: ${(err as Error).message}`);
  }
  const path = ENTITIES[kind].path + (batch ? '/batch' : '');
  await withRetry(() => transport.send('POST', path, body, { 'content-type': 'application/json' }), DEFAULT_RETRY, onRetry);
}
