import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['moesif.config.mjs', 'moesif.config.cjs', 'moesif.config.js'];

/** Where the config module is: MOESIF_CONFIG, else the first moesif.config.* in the working directory. */
export function findConfigFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (env.MOESIF_CONFIG) return resolve(cwd, env.MOESIF_CONFIG);
  for (const name of CANDIDATES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

export type ConfigLoad =
  | { kind: 'loaded'; options: unknown }
  | { kind: 'async'; options: Promise<unknown> };

/**
 * Loads the config module synchronously where Node can (CJS always; ESM via require(esm) on
 * Node 20.19+/22.12+), so the preload has its hooks before the app starts. Where it cannot (an ESM
 * config with top-level await, or an older Node), it falls back to import() and says so.
 */
export function loadConfigFile(path: string): ConfigLoad {
  if (!existsSync(path)) throw new Error(`config module ${path} (MOESIF_CONFIG) does not exist`);
  const require = createRequire(path);
  try {
    return { kind: 'loaded', options: defaultExport(require(path)) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
  }
  return { kind: 'async', options: dynamicImport(pathToFileURL(path).href).then(defaultExport) };
}

function defaultExport(mod: any): unknown {
  if (mod && typeof mod === 'object' && 'default' in mod && mod.__esModule !== false) {
    // ESM default export, or a CJS module compiled from ESM.
    return mod.default ?? mod;
  }
  return mod;
}

// Kept as a real import() in the CJS build (bundlers would turn a plain import() into require()).
const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;
