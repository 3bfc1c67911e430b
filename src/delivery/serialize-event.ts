import { randomUUID } from 'node:crypto';
import { buildEvent, type Sampler } from '../event/build.js';
import { metadataJson } from '../event/hooks.js';
import { RawJson } from '../event/raw-json.js';
import type { EventModel, Exchange } from '../event/types.js';
import { debugOnce, warnOnce } from '../log.js';
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
  const event = built.event;
  // Metadata is written on its own and appended: a circular, too deep or too large one (from a
  // hook or maskEventModel) costs the metadata only, said once.
  let metadata: string | undefined;
  if (event.metadata !== undefined) {
    metadata = metadataJson(event.metadata);
    delete event.metadata;
  }
  let json: string;
  try {
    json = eventJson(event);
  } catch {
    const written = withoutUnwritable(event);
    if (written.charCodeAt(0) !== 123 /* { */) return written as DropReason;
    json = written;
  }
  return metadata === undefined ? json : `${json.slice(0, -1)},"metadata":${metadata}}`;
}

/** Stands in for a body written on its own (see withoutUnwritable); random, so no sent value can mimic it. */
const PART = `\u0000moesif-part-${randomUUID()}-`;

/**
 * An event JSON.stringify refused: a body circular or too deep (a hostile body nested 100k deep,
 * where stringify recurses; a maskEventModel that made a cycle). Each body is written on its own
 * (V8 may write a deep value alone that it refuses inside an object on its slower path) and
 * spliced in; only a body that cannot be written at all is left out.
 */
function withoutUnwritable(event: EventModel): string {
  const parts: Array<[Record<string, unknown> | undefined, string]> = [
    [event.request as unknown as Record<string, unknown>, 'request.body'],
    [event.response as unknown as Record<string, unknown> | undefined, 'response.body'],
  ];
  const written = new Map<string, string>();
  const left: string[] = [];
  for (const [part, what] of parts) {
    if (part?.body === undefined) continue;
    try {
      const token = `${PART}${written.size}`;
      written.set(JSON.stringify(token), JSON.stringify(part.body));
      part.body = token;
    } catch {
      delete part.body;
      delete part.transfer_encoding;
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
  // What a client sent: worth a line under localDebug, not a warning.
  for (const what of left) debugOnce(`serialize:${what}`, `${what} cannot be serialized (circular, or nested too deep); it is left out of the event`);
  return json;
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
