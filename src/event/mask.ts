import type { EventHeaders } from './types.js';

/** Removes the named headers (names compared lower-case). */
export function maskHeaders(headers: EventHeaders, names: readonly string[]): void {
  for (const name of names) delete headers[name.toLowerCase()];
}

/** Removes the named keys at any depth of a parsed JSON body (iterative: depth cannot overflow). */
export function maskJson(root: unknown, keys: readonly string[]): void {
  if (keys.length === 0 || root === null || typeof root !== 'object') return;
  const drop = new Set(keys);
  const stack: object[] = [root];
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown>;
    for (const key in node) {
      if (!Array.isArray(node) && drop.has(key)) {
        delete node[key];
        continue;
      }
      const value = node[key];
      if (value !== null && typeof value === 'object') stack.push(value);
    }
  }
}
