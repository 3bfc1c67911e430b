import { debuglog } from 'node:util';

/**
 * The agent's voice on stderr, always prefixed [moesif]. Debug lines need localDebug (or
 * NODE_DEBUG=moesif); warnings print once per cause even without it. Never pass secrets here.
 */
const nodeDebug = debuglog('moesif');
let debugEnabled = false;
const warned = new Set<string>();

export function setDebug(enabled: boolean): void {
  debugEnabled = enabled;
}

export function isDebug(): boolean {
  return debugEnabled || nodeDebug.enabled;
}

export function debug(message: string): void {
  if (debugEnabled) process.stderr.write(`[moesif] ${message}\n`);
  else if (nodeDebug.enabled) nodeDebug(message);
}

/** Where warnings go instead of stderr: the serializer thread hands them to the main thread. */
let warnSink: ((cause: string, message: string) => void) | undefined;

export function setWarnSink(sink: (cause: string, message: string) => void): void {
  warnSink = sink;
}

/**
 * Prints the first time a cause is seen, then stays quiet for that cause: once per process, as
 * warnings from the serializer thread go through the main thread's set.
 */
export function warnOnce(cause: string, message: string): void {
  if (warned.has(cause)) return;
  warned.add(cause);
  if (warnSink) warnSink(cause, message);
  else process.stderr.write(`[moesif] ${message}\n`);
}

/** Like debug(), but once per cause: for hook failures that would repeat on every request. */
export function debugOnce(cause: string, message: string): void {
  if (!isDebug() || warned.has(cause)) return;
  warned.add(cause);
  debug(message);
}

/** A URI fit for a log line: credentials in it (https://user:pass@host) are replaced. */
export function safeUri(uri: string): string {
  return uri.replace(/^([a-z][\w+.-]*:\/\/)[^/?#]*@/i, '$1<redacted>@');
}
