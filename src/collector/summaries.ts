import type { StoredRecord } from './segment-log';
import { isPlainObject } from './entity-log';

/**
 * The small part of each stored event (and action) kept in memory to list and filter without
 * reading the segments, and the filters of the /api/ listing. Captured data is untrusted: every
 * field is type-checked and long strings are cut in the summary (the full record is on disk).
 */

export interface EventSummary {
  id: number;
  received_at: string;
  /** request.time as the client sent it (falls back to received_at) */
  time: string;
  /** `time` in epoch milliseconds, what from/to compare against */
  time_ms: number;
  direction?: string;
  verb?: string;
  uri?: string;
  status?: number;
  /** response.time − request.time */
  duration_ms?: number;
  user_id?: string;
  company_id?: string;
  ip_address?: string;
  api_version?: string;
  blocked_by?: string;
  weight?: number;
}

export interface ActionSummary {
  id: number;
  received_at: string;
  time: string;
  time_ms: number;
  action_name?: string;
  uri?: string;
  verb?: string;
  user_id?: string;
  company_id?: string;
}

const MAX_URI = 2048;
const MAX_ID = 256;

function str(v: unknown, max: number): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v === '') return undefined;
  return v.length > max ? `${v.slice(0, max)}…` : v;
}

function obj(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

function timeOf(v: unknown, fallback: string): { time: string; ms: number } {
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return { time: v.slice(0, 64), ms };
  }
  return { time: fallback, ms: Date.parse(fallback) };
}

export function summarizeEvent(rec: StoredRecord): EventSummary {
  const d = obj(rec.d);
  const req = obj(d.request);
  const res = obj(d.response);
  const { time, ms } = timeOf(req.time, rec.at);
  const s: EventSummary = { id: rec.id, received_at: rec.at, time, time_ms: ms };
  const direction = str(d.direction, 32);
  if (direction) s.direction = direction;
  const verb = str(req.verb, 32);
  if (verb) s.verb = verb.toUpperCase();
  const uri = str(req.uri, MAX_URI);
  if (uri) s.uri = uri;
  const status = typeof res.status === 'number' ? res.status : typeof res.status === 'string' ? Number(res.status) : NaN;
  if (Number.isInteger(status)) s.status = status;
  if (typeof res.time === 'string') {
    const end = Date.parse(res.time);
    if (Number.isFinite(end) && typeof req.time === 'string' && Number.isFinite(Date.parse(req.time))) {
      s.duration_ms = end - ms;
    }
  }
  const user = str(d.user_id, MAX_ID);
  if (user) s.user_id = user;
  const company = str(d.company_id, MAX_ID);
  if (company) s.company_id = company;
  const ip = str(req.ip_address, 64);
  if (ip) s.ip_address = ip;
  const apiVersion = str(req.api_version, 64);
  if (apiVersion) s.api_version = apiVersion;
  const blocked = str(d.blocked_by, MAX_ID);
  if (blocked) s.blocked_by = blocked;
  if (typeof d.weight === 'number' && Number.isFinite(d.weight)) s.weight = d.weight;
  return s;
}

export function summarizeAction(rec: StoredRecord): ActionSummary {
  const d = obj(rec.d);
  const req = obj(d.request);
  const { time, ms } = timeOf(req.time ?? d.transaction_time, rec.at);
  const s: ActionSummary = { id: rec.id, received_at: rec.at, time, time_ms: ms };
  const name = str(d.action_name, MAX_ID);
  if (name) s.action_name = name;
  const uri = str(req.uri, MAX_URI);
  if (uri) s.uri = uri;
  const verb = str(req.verb, 32);
  if (verb) s.verb = verb.toUpperCase();
  const user = str(d.user_id, MAX_ID);
  if (user) s.user_id = user;
  const company = str(d.company_id, MAX_ID);
  if (company) s.company_id = company;
  return s;
}

export class FilterError extends Error {}

export interface EventFilter {
  direction?: string;
  verbs?: Set<string>;
  statusClasses?: Set<number>;
  statusExact?: Set<number>;
  statusNone?: boolean;
  q?: string;
  user?: string;
  company?: string;
  from?: number;
  to?: number;
}

function list(v: string | null): string[] {
  return (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function date(name: string, v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const ms = /^\d+$/.test(v.trim()) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new FilterError(`${name}: "${v.slice(0, 40)}" is not a date (use ISO-8601 or epoch milliseconds)`);
  return ms;
}

function text(v: string | null): string | undefined {
  const t = (v ?? '').trim().toLowerCase();
  return t === '' ? undefined : t;
}

export function parseEventFilter(p: URLSearchParams): EventFilter {
  const f: EventFilter = {};
  const dir = text(p.get('direction'));
  if (dir) {
    if (dir !== 'incoming' && dir !== 'outgoing') throw new FilterError('direction: use Incoming or Outgoing');
    f.direction = dir;
  }
  const verbs = list(p.get('verb')).map((v) => v.toUpperCase());
  if (verbs.length) f.verbs = new Set(verbs);
  for (const s of list(p.get('status')).map((x) => x.toLowerCase())) {
    if (/^[1-5]xx$/.test(s)) (f.statusClasses ??= new Set()).add(Number(s[0]));
    else if (/^\d{3}$/.test(s)) (f.statusExact ??= new Set()).add(Number(s));
    else if (s === 'none') f.statusNone = true;
    else throw new FilterError(`status: "${s.slice(0, 20)}" is not 2xx, 3xx, 4xx, 5xx, a status code or none`);
  }
  return parseCommon(p, f);
}

function has(v: string | undefined, needle: string): boolean {
  return v !== undefined && v.toLowerCase().includes(needle);
}

export function matchEvent(s: EventSummary, f: EventFilter): boolean {
  if (f.direction && s.direction?.toLowerCase() !== f.direction) return false;
  if (f.verbs && !(s.verb && f.verbs.has(s.verb))) return false;
  if (f.statusClasses || f.statusExact || f.statusNone) {
    const st = s.status;
    const ok =
      st === undefined
        ? !!f.statusNone
        : !!(f.statusClasses?.has(Math.floor(st / 100)) || f.statusExact?.has(st));
    if (!ok) return false;
  }
  if (f.from !== undefined && s.time_ms < f.from) return false;
  if (f.to !== undefined && s.time_ms > f.to) return false;
  if (f.q && !has(s.uri, f.q)) return false;
  if (f.user && !has(s.user_id, f.user)) return false;
  if (f.company && !has(s.company_id, f.company)) return false;
  return true;
}

/** q, user, company, from, to: the filters events and actions share. */
function parseCommon(p: URLSearchParams, f: EventFilter): EventFilter {
  const q = text(p.get('q'));
  if (q) f.q = q;
  const user = text(p.get('user'));
  if (user) f.user = user;
  const company = text(p.get('company'));
  if (company) f.company = company;
  const from = date('from', p.get('from'));
  if (from !== undefined) f.from = from;
  const to = date('to', p.get('to'));
  if (to !== undefined) f.to = to;
  return f;
}

export function parseActionFilter(p: URLSearchParams): EventFilter {
  return parseCommon(p, {});
}

export function matchAction(s: ActionSummary, f: EventFilter): boolean {
  if (f.from !== undefined && s.time_ms < f.from) return false;
  if (f.to !== undefined && s.time_ms > f.to) return false;
  if (f.q && !(has(s.action_name, f.q) || has(s.uri, f.q))) return false;
  if (f.user && !has(s.user_id, f.user)) return false;
  if (f.company && !has(s.company_id, f.company)) return false;
  return true;
}
