import { buildEvent, type Sampler } from '../event/build.js';
import { RawJson } from '../event/raw-json.js';
import type { EventModel, Exchange } from '../event/types.js';
import type { ResolvedOptions } from '../options/types.js';
import type { PackedBatch } from './packed-batch.js';
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
    return eventJson(built.event);
  } catch {
    // Too deep or circular (a hook's metadata, a hostile body): keep the event without them.
    try {
      delete built.event.metadata;
      delete built.event.request.body;
      delete built.event.response?.body;
      return JSON.stringify(built.event);
    } catch {
      return 'serialize_error';
    }
  }
}

/** The event's JSON, with bodies kept as JSON text spliced in as they are. */
export function eventJson(event: EventModel): string {
  const { request, response } = event;
  if (!(request.body instanceof RawJson || response?.body instanceof RawJson)) return JSON.stringify(event);
  event.request = undefined!;
  event.response = undefined;
  const rest = JSON.stringify(event); // what remains: direction, user_id, metadata… (undefined fields are left out)
  event.request = request;
  event.response = response;
  let json = `{"request":${partJson(request)}`;
  if (response) json += `,"response":${partJson(response)}`;
  return rest.length > 2 ? `${json},${rest.slice(1)}` : `${json}}`;
}

function partJson(part: { body?: unknown }): string {
  const body = part.body;
  if (!(body instanceof RawJson)) return JSON.stringify(part);
  part.body = undefined;
  const json = JSON.stringify(part);
  part.body = body;
  return `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"body":${body.text}}`;
}

export interface SerializedBatch {
  jsons: string[];
  dropped: DropReason[];
}

/** A batch ready for the wire (none when every event was dropped) and the reasons for the drops. */
export interface AssembledBatch {
  packed: PackedBatch | undefined;
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
