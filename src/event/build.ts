import type { ResolvedOptions } from '../options/types.js';
import { encodeBody } from './body.js';
import { clientIp } from './client-ip.js';
import { normalizeHeaders } from './headers.js';
import { asId, asObject, asString } from './hooks.js';
import { userFromAuthorization } from './identify.js';
import { isoTime } from './iso-time.js';
import { maskHeaders, maskJson } from './mask.js';
import { RawJson } from './raw-json.js';
import { redactForm, redactHeaders, redactJson, redactUri } from './redact.js';
import type { EventModel, Exchange } from './types.js';

/** Decides the weight of an event, or 0 to leave it out (remote sampling). */
export type Sampler = (event: EventModel) => number;

export type BuildResult = { event: EventModel } | { dropped: 'sampled_out' | 'mask_error' };

/**
 * Turns captured facts into the collector's event: identify, sample, encode bodies, redact,
 * mask, then the user's maskEventModel. Runs in the batcher, off the request path.
 */
export function buildEvent(ex: Exchange, options: ResolvedOptions, authHeaders: readonly string[], sample: Sampler): BuildResult {
  const requestHeaders = normalizeHeaders(ex.requestHeaders);
  const responseHeaders = normalizeHeaders(ex.responseHeaders);
  const incoming = ex.direction === 'Incoming';

  const event: EventModel = {
    request: {
      time: isoTime(ex.startTime),
      uri: ex.url,
      verb: ex.method,
      headers: requestHeaders,
    },
    response: {
      time: isoTime(ex.endTime),
      status: ex.status,
      headers: responseHeaders,
    },
    direction: ex.direction,
  };
  const apiVersion = asString('getApiVersion', ex.apiVersion) ?? options.apiVersion;
  if (apiVersion) event.request.api_version = apiVersion;
  const ip = incoming ? clientIp(requestHeaders, ex.remoteAddress) : undefined;
  if (ip) event.request.ip_address = ip;

  const userId =
    asId('identifyUser', ex.userId) ??
    (incoming ? userFromAuthorization(requestHeaders, authHeaders, options.authorizationUserIdField) : undefined);
  if (userId) event.user_id = userId;
  const companyId = asId('identifyCompany', ex.companyId);
  if (companyId) event.company_id = companyId;
  const session = asString('getSessionToken', ex.sessionToken);
  if (session) event.session_token = session;
  const metadata = asObject('getMetadata', ex.metadata);
  if (metadata) event.metadata = metadata;
  if (ex.blockedBy) event.blocked_by = ex.blockedBy;

  const logBody = incoming ? options.logBody : options.logBodyOutgoing;
  if (logBody) {
    const req = encodeBody(ex.requestBody, requestHeaders, ex.requestLimit, 'request');
    if (req) Object.assign(event.request, req);
    const res = encodeBody(ex.responseBody, responseHeaders, ex.responseLimit, 'response');
    if (res) Object.assign(event.response!, res);
  }

  const weight = sample(event);
  if (weight === 0) return { dropped: 'sampled_out' };
  event.weight = weight;

  if (options.redactSensitive) {
    redactHeaders(requestHeaders, authHeaders);
    redactHeaders(responseHeaders, []);
    event.request.uri = redactUri(event.request.uri);
    redactBody(event.request, requestHeaders);
    redactBody(event.response!, responseHeaders);
  }
  maskHeaders(requestHeaders, options.requestHeaderMasks);
  maskHeaders(responseHeaders, options.responseHeaderMasks);
  maskBody(event.request, options.requestBodyMasks);
  maskBody(event.response!, options.responseBodyMasks);

  if (!options.maskEventModel) return { event };
  // The user's function sees plain objects, as documented.
  parsed(event.request);
  parsed(event.response!);
  try {
    const masked = options.maskEventModel(event);
    // Not an event (null, a number, a string, a Promise, { request: 'x' }): dropped, not sent to
    // make the collector refuse the whole batch it rides in.
    if (!masked || typeof masked !== 'object' || !masked.request || typeof masked.request !== 'object') return { dropped: 'mask_error' };
    return { event: masked };
  } catch {
    return { dropped: 'mask_error' };
  }
}

type Part = { body?: unknown; transfer_encoding?: string };

/** A JSON body kept as text becomes objects: for whoever must look inside. */
function parsed(part: Part): void {
  if (part.body instanceof RawJson) part.body = part.body.value;
}

function maskBody(part: Part, keys: readonly string[]): void {
  if (part.transfer_encoding !== 'json' || keys.length === 0) return;
  parsed(part);
  maskJson(part.body, keys);
}

function redactBody(part: Part, headers: Record<string, unknown>): void {
  if (part.body === undefined) return;
  if (part.transfer_encoding === 'json') {
    // Most bodies hold nothing to redact: a scan of the text says so, and the text goes as it is.
    if (part.body instanceof RawJson && part.body.clean) return;
    parsed(part);
    part.body = redactJson(part.body);
    return;
  }
  // Form posts carry passwords too: redact their fields, keep the rest as sent.
  const type = String(headers['content-type'] ?? '').toLowerCase();
  if (part.transfer_encoding === 'base64' && type.startsWith('application/x-www-form-urlencoded')) {
    const form = Buffer.from(part.body as string, 'base64').toString('utf8');
    const clean = redactForm(form);
    if (clean !== form) part.body = Buffer.from(clean, 'utf8').toString('base64');
  }
}
