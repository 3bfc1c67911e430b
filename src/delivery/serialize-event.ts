import { randomUUID } from 'node:crypto';
import { buildEvent, type Sampler } from '../event/build.js';
import type { EventModel, Exchange } from '../event/types.js';
import { debugOnce, warnOnce } from '../log.js';
import type { ResolvedOptions } from '../options/types.js';
import type { DropReason } from './stats.js';

/** What serializing needs besides the options: the auth headers in use and the sampler. */
export interface SerializeContext {
  options: ResolvedOptions;
  authHeaders: readonly string[];
  sample: Sampler;
}

/** One captured exchange → the event's JSON, or why it is not sent. */
export function serializeExchange(exchange: Exchange, ctx: SerializeContext): string | DropReason {
  const built = buildEvent(exchange, ctx.options, ctx.authHeaders, ctx.sample);
  if ('dropped' in built) return built.dropped;
  try {
    return JSON.stringify(built.event);
  } catch {
    return withoutUnwritable(built.event);
  }
}

/** Stands in for a part written on its own (see withoutUnwritable); random, so no sent value can mimic it. */
const PART = `\u0000moesif-part-${randomUUID()}-`;

/**
 * An event JSON.stringify refused: circular or too deep (a hook's metadata, a hostile body nested
 * 100k deep). Each of metadata and the bodies is written on its own (V8 may write a deep value
 * alone that it refuses inside a slower-path object) and spliced in; only a part that cannot be
 * written at all is left out, so a bad metadata object costs the metadata, not the bodies.
 */
function withoutUnwritable(event: EventModel): string | DropReason {
  const parts: Array<[Record<string, unknown> | undefined, string, string]> = [
    [event as unknown as Record<string, unknown>, 'metadata', 'metadata'],
    [event.request as unknown as Record<string, unknown>, 'body', 'request.body'],
    [event.response as unknown as Record<string, unknown> | undefined, 'body', 'response.body'],
  ];
  const written = new Map<string, string>();
  const left: string[] = [];
  for (const [holder, key, what] of parts) {
    if (holder?.[key] === undefined) continue;
    try {
      const token = `${PART}${written.size}`;
      written.set(JSON.stringify(token), JSON.stringify(holder[key]));
      holder[key] = token;
    } catch {
      delete holder[key];
      if (key === 'body') delete holder.transfer_encoding;
      left.push(what);
    }
  }
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch {
    warnOnce('serialize', 'an event cannot be serialized (circular, or nested too deep; from maskEventModel?); such events are dropped (counted in stats().dropped.serialize_error)');
    return 'serialize_error';
  }
  for (const [token, part] of written) json = json.replace(token, () => part);
  for (const what of left) {
    const message = `${what} cannot be serialized (circular, or nested too deep); it is left out of the event`;
    // metadata comes from the user's hook: say so once; a body is what a client sent.
    if (what === 'metadata') warnOnce('serialize:metadata', message);
    else debugOnce(`serialize:${what}`, message);
  }
  return json;
}

export interface SerializedBatch {
  jsons: string[];
  dropped: DropReason[];
}

export function serializeAll(exchanges: Exchange[], ctx: SerializeContext): SerializedBatch {
  const jsons: string[] = [];
  const dropped: DropReason[] = [];
  for (const exchange of exchanges) {
    const out = serializeExchange(exchange, ctx);
    if (out.charCodeAt(0) === 123 /* { */) jsons.push(out);
    else dropped.push(out as DropReason);
  }
  return { jsons, dropped };
}
