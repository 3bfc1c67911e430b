// Replaced at build time from package.json (tsup `define`); the fallback serves tests run from source.
declare const __MOESIF_VERSION__: string | undefined;
export const VERSION: string = typeof __MOESIF_VERSION__ === 'string' ? __MOESIF_VERSION__ : '0.0.0-dev';
