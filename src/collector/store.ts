import * as fs from 'node:fs';
import * as path from 'node:path';
import { EntityLog, type Entity } from './entity-log';
import { SegmentLog, type LoadReport, type StoredRecord } from './segment-log';
import {
  matchAction,
  matchEvent,
  summarizeAction,
  summarizeEvent,
  type ActionSummary,
  type EventFilter,
  type EventSummary,
} from './summaries';

/**
 * The local collector's persistent store, in one data directory:
 *
 *   moesif-local-store.json           format marker
 *   .gitignore                        `*`: captured traffic stays out of git
 *   LOCK                              pid of the collector using the directory
 *   events/events-<first id>.ndjson   event segments (retention by count)
 *   actions/actions-<first id>.ndjson action segments (same retention)
 *   users.ndjson companies.ndjson subscriptions.ndjson   update logs, merged by id
 *
 * Every line is `<crc32> <json>`; see record.ts. Everything is synchronous: one collector
 * process owns the directory and writes a request's records with one write() before answering.
 */

export type EntityKind = 'users' | 'companies' | 'subscriptions';

export interface StoreOptions {
  dataDir: string;
  /** events (and actions) kept; the oldest go. Default 100000. */
  retention?: number;
}

export interface EventPage {
  events: EventSummary[];
  /** events matching the filter, in the whole store */
  total: number;
  /** events in the store */
  stored: number;
  /** id of the newest event in the store (0 when empty) */
  last_id: number;
  /** pass as `before` to get the next (older) page; null when there is none */
  next_before: number | null;
}

export interface PageOptions {
  limit?: number;
  /** only ids lower than this (older) */
  before?: number;
  /** only ids higher than this (newer) */
  after?: number;
}

export interface StoredItem<S> {
  id: number;
  received_at: string;
  app_id?: string;
  summary: S;
  data: unknown;
}

export const DEFAULT_RETENTION = 100_000;
const FORMAT = 1;
const held = new Set<string>();

function lockDir(dir: string): string {
  const lock = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      held.add(dir);
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(fs.readFileSync(lock, 'utf8').trim());
    let alive = false;
    if (pid === process.pid) alive = held.has(dir);
    else if (Number.isSafeInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (alive) throw new Error(`the data directory ${dir} is in use by another moesif dev (pid ${pid}); stop it or use --data`);
    fs.rmSync(lock, { force: true }); // stale: its process is gone
  }
  throw new Error(`could not lock the data directory ${dir}`);
}

export class Store {
  readonly dataDir: string;
  readonly retention: number;
  readonly loaded: Record<'events' | 'actions' | EntityKind, LoadReport>;
  private readonly events: SegmentLog<EventSummary>;
  private readonly actions: SegmentLog<ActionSummary>;
  private readonly entities: Record<EntityKind, EntityLog>;
  private lock: string | undefined;

  private constructor(opts: StoreOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    this.retention = opts.retention ?? DEFAULT_RETENTION;
    if (!Number.isSafeInteger(this.retention) || this.retention < 1) throw new Error('retention must be a whole number ≥ 1');
    fs.mkdirSync(this.dataDir, { recursive: true });
    const marker = path.join(this.dataDir, 'moesif-local-store.json');
    if (fs.existsSync(marker)) {
      let format = NaN;
      try {
        format = Number((JSON.parse(fs.readFileSync(marker, 'utf8')) as { format?: unknown }).format);
      } catch {
        /* unreadable marker: rewritten below */
      }
      if (format > FORMAT) throw new Error(`${this.dataDir} was written by a newer moesif (store format ${format})`);
    }
    if (!fs.existsSync(marker)) {
      fs.writeFileSync(marker, `${JSON.stringify({ format: FORMAT })}\n`);
      // Captured traffic can hold secrets: keep it out of the project's git history.
      const ignore = path.join(this.dataDir, '.gitignore');
      if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# written by moesif dev: captured API traffic stays out of git\n*\n');
    }
    this.lock = lockDir(this.dataDir);
    try {
      this.events = new SegmentLog(path.join(this.dataDir, 'events'), 'events', this.retention, summarizeEvent);
      this.actions = new SegmentLog(path.join(this.dataDir, 'actions'), 'actions', this.retention, summarizeAction);
      const id = (field: string) => (d: Record<string, unknown>) => {
        const v = d[field];
        return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
      };
      this.entities = {
        users: new EntityLog(path.join(this.dataDir, 'users.ndjson'), id('user_id')),
        companies: new EntityLog(path.join(this.dataDir, 'companies.ndjson'), id('company_id')),
        subscriptions: new EntityLog(path.join(this.dataDir, 'subscriptions.ndjson'), id('subscription_id')),
      };
      this.loaded = {
        events: this.events.load(),
        actions: this.actions.load(),
        users: this.entities.users.load(),
        companies: this.entities.companies.load(),
        subscriptions: this.entities.subscriptions.load(),
      };
    } catch (err) {
      this.unlock();
      throw err;
    }
  }

  static open(opts: StoreOptions): Store {
    return new Store(opts);
  }

  addEvents(items: unknown[], appId?: string): EventSummary[] {
    return this.events.append(items, appId).map((e) => e.summary);
  }

  addActions(items: unknown[], appId?: string): ActionSummary[] {
    return this.actions.append(items, appId).map((e) => e.summary);
  }

  upsert(kind: EntityKind, items: Record<string, unknown>[]): Entity[] {
    return this.entities[kind].upsert(items);
  }

  /** The id field an entity of this kind is merged by, for validation. */
  entityId(kind: EntityKind, item: Record<string, unknown>): string | undefined {
    return this.entities[kind].idOf(item);
  }

  queryEvents(filter: EventFilter, page: PageOptions = {}): EventPage {
    const r = query(this.events, (s) => matchEvent(s, filter), page);
    return { events: r.items, total: r.total, stored: this.events.size, last_id: this.events.lastSeq, next_before: r.next_before };
  }

  getEvent(id: number): StoredItem<EventSummary> | undefined {
    return item(this.events, id);
  }

  queryActions(filter: EventFilter, page: PageOptions = {}): { items: ActionSummary[]; total: number; stored: number; last_id: number; next_before: number | null } {
    const r = query(this.actions, (s) => matchAction(s, filter), page);
    return { ...r, stored: this.actions.size, last_id: this.actions.lastSeq };
  }

  getAction(id: number): StoredItem<ActionSummary> | undefined {
    return item(this.actions, id);
  }

  /** Entities, most recently updated first; q matches any text in them (case-insensitive). */
  listEntities(kind: EntityKind, q?: string, limit = 500): { items: Entity[]; total: number } {
    const needle = q?.trim().toLowerCase();
    const all = this.entities[kind].list();
    const matched = needle ? all.filter((e) => JSON.stringify(e.data).toLowerCase().includes(needle)) : all;
    return { items: matched.slice(0, limit), total: matched.length };
  }

  getEntity(kind: EntityKind, id: string): Entity | undefined {
    return this.entities[kind].get(id);
  }

  counts(): Record<'events' | 'actions' | EntityKind, number> & { last_event_id: number } {
    return {
      events: this.events.size,
      actions: this.actions.size,
      users: this.entities.users.size,
      companies: this.entities.companies.size,
      subscriptions: this.entities.subscriptions.size,
      last_event_id: this.events.lastSeq,
    };
  }

  close(): void {
    this.events.close();
    this.actions.close();
    for (const log of Object.values(this.entities)) log.close();
    this.unlock();
  }

  private unlock(): void {
    if (this.lock) {
      fs.rmSync(this.lock, { force: true });
      held.delete(this.dataDir);
      this.lock = undefined;
    }
  }
}

function query<S extends { id: number }>(
  log: SegmentLog<S>,
  match: (s: S) => boolean,
  page: PageOptions,
): { items: S[]; total: number; next_before: number | null } {
  const limit = Math.max(1, Math.min(page.limit ?? 100, 1000));
  const before = page.before ?? Infinity;
  const after = page.after ?? -Infinity;
  const { entries, start } = log.view();
  const items: S[] = [];
  let total = 0;
  let more = false;
  // Newest first: walk the index from its end.
  for (let i = entries.length - 1; i >= start; i--) {
    const s = entries[i]!.summary;
    if (!match(s)) continue;
    total++;
    if (s.id >= before || s.id <= after) continue;
    if (items.length < limit) items.push(s);
    else more = true;
  }
  return { items, total, next_before: more ? items[items.length - 1]!.id : null };
}

function item<S>(log: SegmentLog<S>, id: number): StoredItem<S> | undefined {
  const e = log.entry(id);
  if (!e) return undefined;
  const rec: StoredRecord | undefined = log.read(id);
  if (!rec) return undefined;
  const out: StoredItem<S> = { id, received_at: rec.at, summary: e.summary, data: rec.d };
  if (typeof rec.app === 'string') out.app_id = rec.app;
  return out;
}
