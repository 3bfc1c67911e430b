import { OPTIONS, OPTION_NAMES, type OptionKind, type OptionSpec } from './schema.js';
import type { MoesifOptions, ResolvedOptions } from './types.js';
import { safeUri } from '../log.js';

/** A problem with one option, phrased for the user. */
export class OptionError extends Error {
  constructor(readonly option: string, readonly source: string, problem: string) {
    super(`option ${option} (${source}) ${problem}`);
  }
}

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/** Reads every option that has an environment variable; unknown or malformed values throw OptionError. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): MoesifOptions {
  const out: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const spec = OPTIONS[name];
    if (!spec.env) continue;
    const raw = env[spec.env];
    if (raw === undefined || raw.trim() === '') continue;
    out[name] = checkValue(name, `env ${spec.env}`, spec, parseEnvValue(name, spec.env, spec.kind, raw.trim()));
  }
  return out as MoesifOptions;
}

function parseEnvValue(name: string, envName: string, kind: OptionKind, raw: string): unknown {
  const source = `env ${envName}`;
  switch (kind) {
    case 'boolean': {
      const value = BOOLEAN_WORDS[raw.toLowerCase()];
      if (value === undefined) throw new OptionError(name, source, `must be true/false/1/0/yes/no, got "${raw}"`);
      return value;
    }
    case 'size':
    case 'positiveInt': {
      if (!/^\d+$/.test(raw)) throw new OptionError(name, source, `must be a whole number, got "${raw}"`);
      return Number(raw);
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/** Checks one layer of options (config module or enable()) and returns it with only known, valid keys. */
export function checkOptions(input: unknown, source: string): MoesifOptions {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new OptionError('options', source, `must be an object, got ${describe(input)}`);
  }
  if (typeof (input as { then?: unknown }).then === 'function') {
    // Its own keys are none of the options: taken as it is, every option would be silently ignored.
    throw new OptionError('options', source, 'must be an object, got a Promise (give the options themselves)');
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const spec = (OPTIONS as Record<string, OptionSpec | undefined>)[name];
    if (!spec) throw new OptionError(name, source, `is not a known option${suggest(name)}`);
    if (value === undefined) continue;
    out[name] = checkValue(name, source, spec, value);
  }
  return out as MoesifOptions;
}

function checkValue(name: string, source: string, { kind, max }: OptionSpec, value: unknown): unknown {
  const fail = (want: string) => {
    throw new OptionError(name, source, `must be ${want}, got ${describe(value)}`);
  };
  switch (kind) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') fail('a non-empty string');
      return (value as string).trim();
    case 'url': {
      if (typeof value !== 'string') fail('an http(s) URL string');
      let url: URL | undefined;
      try {
        url = new URL(value as string);
      } catch {
        /* reported below */
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail('an http(s) URL');
      return (value as string).replace(/\/+$/, '');
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return value;
    case 'size':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail('a whole number of bytes (0 or more)');
      return value;
    case 'positiveInt':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail('a whole number above 0');
      if (max !== undefined && (value as number) > max) fail(`a whole number from 1 to ${max}`);
      return value;
    case 'list':
      if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail('an array of strings');
      return value;
    case 'function':
      if (typeof value !== 'function') fail('a function');
      return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function suggest(name: string): string {
  const lower = name.toLowerCase().replace(/[_-]/g, '');
  const match = OPTION_NAMES.find((known) => known.toLowerCase() === lower);
  return match ? ` (did you mean ${match}?)` : '';
}

/** Merges checked layers over the defaults (later layers win) and applies the cross-option rules. */
export function mergeOptions(layers: MoesifOptions[]): ResolvedOptions {
  const merged: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const dflt = OPTIONS[name].default;
    if (dflt !== undefined) merged[name] = Array.isArray(dflt) ? [...dflt] : dflt;
  }
  for (const layer of layers) Object.assign(merged, layer);
  return merged as ResolvedOptions;
}

const LAYER_NAMES = ['env', 'config', 'enable()'];

/**
 * One line that says every option in force and where it came from, for localDebug: what a user
 * checks first when the agent does not do what they expect. The application id is shortened.
 */
export function describeOptions(options: ResolvedOptions, layers: MoesifOptions[]): string {
  const parts: string[] = [];
  for (const name of OPTION_NAMES) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    let from = 'default';
    for (let i = layers.length - 1; i >= 0; i--) {
      if ((layers[i] as Record<string, unknown>)[name] !== undefined) {
        from = LAYER_NAMES[i] ?? 'enable()';
        break;
      }
    }
    let shown: string;
    if (typeof value === 'function') shown = 'function';
    else if (name === 'applicationId') shown = `${String(value).slice(0, 4)}…`;
    else if (name === 'baseUri') shown = safeUri(String(value));
    else shown = Array.isArray(value) ? `[${value.join(',')}]` : String(value);
    parts.push(`${name}=${shown} (${from})`);
  }
  return `options: ${parts.join(', ')}`;
}
