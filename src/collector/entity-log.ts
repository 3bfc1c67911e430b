import * as fs from 'node:fs';
import { appendAll, encodeRecord, scanRecords } from './record';
import type { LoadReport } from './segment-log';

/**
 * Users, companies and subscriptions: records merged by id, the latest update winning field by
 * field (metadata merged deeply, null meaning "no value" rather than "erase"). The file is an
 * append-only log of updates in the same line format as the event segments; it is rewritten
 * compacted (one line per entity) when the updates outnumber the entities by far.
 */

export interface Entity {
  id: string;
  first_seen: string;
  last_seen: string;
  updates: number;
  data: Record<string, unknown>;
}

interface EntityRecord {
  at: string;
  /** present on a compacted line: when the entity was first seen, and its count of updates */
  first?: string;
  n?: number;
  d: Record<string, unknown>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges src into target: nested objects merged, arrays and scalars replaced, null skipped. */
export function mergeDeep(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const key of Object.keys(src)) {
    if (key === '__proto__') continue;
    const v = src[key];
    if (v === null || v === undefined) continue;
    const cur = target[key];
    if (isPlainObject(v) && isPlainObject(cur)) mergeDeep(cur, v);
    else target[key] = isPlainObject(v) ? clone(v) : v;
  }
}

function clone(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  mergeDeep(out, v);
  return out;
}

export class EntityLog {
  /** insertion order = order of last update */
  private map = new Map<string, Entity>();
  private lines = 0;
  private fd: number | undefined;
  private bytes = 0;

  constructor(
    private readonly file: string,
    readonly idOf: (d: Record<string, unknown>) => string | undefined,
  ) {}

  get size(): number {
    return this.map.size;
  }

  load(): LoadReport {
    const report: LoadReport = { records: 0, damaged: 0, tornBytes: 0 };
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    const scan = scanRecords(buf);
    if (scan.completeEnd < buf.length) {
      report.tornBytes = buf.length - scan.completeEnd;
      fs.truncateSync(this.file, scan.completeEnd);
    }
    this.bytes = scan.completeEnd;
    report.damaged = scan.damaged;
    for (const r of scan.records) {
      const rec = r.value as EntityRecord;
      if (!isPlainObject(rec) || !isPlainObject(rec.d) || typeof rec.at !== 'string') {
        report.damaged++;
        continue;
      }
      if (this.apply(rec) === undefined) report.damaged++;
      else report.records++;
      this.lines++;
    }
    if (this.lines > this.map.size * 2 + 1000) this.compact();
    return report;
  }

  /** Stores the updates (all written in one append) and returns the merged entities. */
  upsert(items: Record<string, unknown>[]): Entity[] {
    const at = new Date().toISOString();
    const recs = items.map((d): EntityRecord => ({ at, d }));
    this.write(Buffer.concat(recs.map((r) => encodeRecord(r))));
    this.lines += recs.length;
    const out: Entity[] = [];
    for (const r of recs) {
      const e = this.apply(r);
      if (e) out.push(e);
    }
    if (this.lines > this.map.size * 4 + 1000) this.compact();
    return out;
  }

  get(id: string): Entity | undefined {
    return this.map.get(id);
  }

  /** Most recently updated first. */
  list(): Entity[] {
    return [...this.map.values()].reverse();
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* best effort */
      }
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private apply(rec: EntityRecord): Entity | undefined {
    const id = this.idOf(rec.d);
    if (id === undefined) return undefined;
    let e = this.map.get(id);
    if (e) {
      this.map.delete(id);
      e.last_seen = rec.at;
      e.updates += rec.n ?? 1;
    } else {
      e = { id, first_seen: rec.first ?? rec.at, last_seen: rec.at, updates: rec.n ?? 1, data: {} };
    }
    mergeDeep(e.data, rec.d);
    this.map.set(id, e);
    return e;
  }

  private write(buf: Buffer): void {
    if (this.fd === undefined) this.fd = fs.openSync(this.file, 'a');
    appendAll(this.fd, buf, this.bytes);
    this.bytes += buf.length;
  }

  /** Rewrites the file with one line per entity: written aside, synced, then renamed over. */
  private compact(): void {
    this.close();
    const tmp = `${this.file}.compact`;
    const bufs = [...this.map.values()].map((e) =>
      encodeRecord({ at: e.last_seen, first: e.first_seen, n: e.updates, d: e.data } satisfies EntityRecord),
    );
    const buf = Buffer.concat(bufs);
    fs.writeFileSync(tmp, buf);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.lines = this.map.size;
    this.bytes = buf.length;
  }
}
