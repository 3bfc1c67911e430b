// The pure core, from the build (dist/internal.js is built for these tests only).
import { createRequire } from 'node:module';

export const core = createRequire(import.meta.url)('../../dist/internal.js');

/** A small seeded PRNG (mulberry32): property tests that fail, fail the same way again. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[next.int(list.length)];
  return next;
}
