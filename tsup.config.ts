import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const define = { __MOESIF_VERSION__: JSON.stringify(version) };

// Two builds: the library (ESM + CJS with types) and the CLI (`moesif dev`, CJS only).
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    shims: true, // __dirname in the ESM build (the serializer thread's file is found beside it)
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false, // the build script empties dist first (two configs must not clean each other)
    define,
    // p-retry is ESM-only; bundling it keeps the CJS build loadable on every Node 20.x.
    noExternal: ['p-retry', 'is-network-error'],
  },
  {
    // The serializer thread's entry, loaded by path from either build.
    entry: { 'serializer-worker': 'src/delivery/serializer-worker.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    clean: false,
    define,
    noExternal: ['p-retry', 'is-network-error'],
  },
  {
    // The pure core for test/unit/ (not exported by package.json).
    entry: { internal: 'src/internal.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    clean: false,
    define,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    define,
  },
]);
