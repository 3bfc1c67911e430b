import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendAll, decodeLine, encodeRecord, scanRecords } from './record';

/**
 * An append-only log of records split into segment files, with a bounded number of records kept
 * (retention by count). Only a small summary of each record lives in memory; the full record is
 * read back from its segment by offset when asked for. The oldest records fall out of the index
 * as new ones arrive, and a segment file is deleted once none of its records is left.
 */

/** What one line of a segment holds. */
export interface StoredRecord {
  /** sequence number, increasing within the log, kept across restarts */
  id: number;
  /** when the collector received it (ISO-8601) */
  at: string;
  /** X-Moesif-Application-Id the client sent, when it sent one */
  app?: string;
  /** the item as the client sent it */
  d: unknown;
}

interface Segment {
  file: string;
  /** records written to the file (damaged lines not counted) */
  records: number;
  /** records of this file still in the index */
  live: number;
  /** size of the file */
  bytes: number;
}

export interface Entry<S> {
  id: number;
  seg: Segment;
  off: number;
  len: number;
  summary: S;
}

export interface LoadReport {
  records: number;
  /** complete lines that failed their checksum or were not a record; skipped */
  damaged: number;
  /** bytes of a torn last line (a write cut short), removed from the end of a segment */
  tornBytes: number;
}

const SEGMENT_MAX_BYTES = 64 * 1024 * 1024;
const SEGMENT_MAX_RECORDS = 10_000;

export class SegmentLog<S> {
  private entries: Entry<S>[] = [];
  private head = 0;
  private segments: Segment[] = [];
  private appendFd: number | undefined;
  private appendSeg: Segment | undefined;
  private lastId = 0;
  readonly segmentCapacity: number;
  private readonly pattern: RegExp;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
    private retention: number,
    private readonly summarize: (rec: StoredRecord) => S,
  ) {
    // About ten segments per retention window: deleting a whole file drops ~10% at a time.
    this.segmentCapacity = Math.max(1, Math.min(SEGMENT_MAX_RECORDS, Math.ceil(retention / 10)));
    this.pattern = new RegExp(`^${prefix}-(\\d+)\\.ndjson$`);
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get lastSeq(): number {
    return this.lastId;
  }

  load(): LoadReport {
    fs.mkdirSync(this.dir, { recursive: true });
    const report: LoadReport = { records: 0, damaged: 0, tornBytes: 0 };
    const files = fs
      .readdirSync(this.dir)
      .map((name) => ({ name, m: this.pattern.exec(name) }))
      .filter((f): f is { name: string; m: RegExpExecArray } => f.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
    for (const { name } of files) {
      const file = path.join(this.dir, name);
      const buf = fs.readFileSync(file);
      const scan = scanRecords(buf);
      if (scan.completeEnd < buf.length) {
        // A write cut short (the process was killed mid-write): drop the partial line so the
        // next append starts on a line of its own.
        report.tornBytes += buf.length - scan.completeEnd;
        fs.truncateSync(file, scan.completeEnd);
      }
      report.damaged += scan.damaged;
      const seg: Segment = { file, records: 0, live: 0, bytes: scan.completeEnd };
      for (const r of scan.records) {
        const rec = r.value as StoredRecord;
        if (!rec || typeof rec !== 'object' || !Number.isSafeInteger(rec.id) || rec.id <= this.lastId) {
          report.damaged++;
          continue;
        }
        let summary: S;
        try {
          summary = this.summarize(rec);
        } catch {
          report.damaged++;
          continue;
        }
        this.lastId = rec.id;
        this.entries.push({ id: rec.id, seg, off: r.offset, len: r.length, summary });
        seg.records++;
        seg.live++;
        report.records++;
      }
      if (seg.records === 0) fs.rmSync(file, { force: true });
      else this.segments.push(seg);
    }
    this.trim();
    return report;
  }

  /** Appends the items (each becomes one record, ids assigned in order) and applies retention. */
  append(items: unknown[], app?: string): Entry<S>[] {
    const at = new Date().toISOString();
    const added: Entry<S>[] = [];
    let i = 0;
    while (i < items.length) {
      const seg = this.segmentForAppend();
      const room = this.segmentCapacity - seg.records;
      const bufs: Buffer[] = [];
      const pending: Entry<S>[] = [];
      let off = seg.bytes;
      for (let n = 0; n < room && i < items.length; n++, i++) {
        const rec: StoredRecord = { id: this.lastId + pending.length + 1, at, d: items[i] };
        if (app !== undefined) rec.app = app;
        const buf = encodeRecord(rec);
        pending.push({ id: rec.id, seg, off, len: buf.length, summary: this.summarize(rec) });
        bufs.push(buf);
        off += buf.length;
        if (off >= SEGMENT_MAX_BYTES) {
          i++;
          break;
        }
      }
      this.writeAll(seg, Buffer.concat(bufs));
      seg.records += pending.length;
      seg.live += pending.length;
      this.lastId += pending.length;
      for (const e of pending) this.entries.push(e);
      added.push(...pending);
    }
    this.trim();
    return added;
  }

  /** The entries in the index, oldest first (do not modify). */
  view(): { entries: readonly Entry<S>[]; start: number } {
    return { entries: this.entries, start: this.head };
  }

  /** Index of the first entry whose id is >= id (binary search; ids increase). */
  lowerBound(id: number): number {
    let lo = this.head;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  entry(id: number): Entry<S> | undefined {
    const i = this.lowerBound(id);
    const e = this.entries[i];
    return e && e.id === id ? e : undefined;
  }

  /** Reads the full record back from its segment. */
  read(id: number): StoredRecord | undefined {
    const e = this.entry(id);
    if (!e) return undefined;
    const buf = Buffer.allocUnsafe(e.len);
    let fd: number;
    try {
      fd = fs.openSync(e.seg.file, 'r');
    } catch {
      return undefined;
    }
    try {
      let got = 0;
      while (got < e.len) {
        const n = fs.readSync(fd, buf, got, e.len - got, e.off + got);
        if (n === 0) return undefined;
        got += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return decodeLine(buf, 0, e.len - 1) as StoredRecord | undefined;
  }

  close(): void {
    if (this.appendFd !== undefined) {
      try {
        fs.fsyncSync(this.appendFd);
      } catch {
        /* best effort */
      }
      fs.closeSync(this.appendFd);
      this.appendFd = undefined;
      this.appendSeg = undefined;
    }
  }

  private segmentForAppend(): Segment {
    const last = this.segments[this.segments.length - 1];
    if (last && last.records < this.segmentCapacity && last.bytes < SEGMENT_MAX_BYTES) {
      if (this.appendSeg !== last) this.openForAppend(last);
      return last;
    }
    const file = path.join(this.dir, `${this.prefix}-${String(this.lastId + 1).padStart(12, '0')}.ndjson`);
    const seg: Segment = { file, records: 0, live: 0, bytes: 0 };
    fs.writeFileSync(file, '', { flag: 'a' });
    this.segments.push(seg);
    this.openForAppend(seg);
    return seg;
  }

  private openForAppend(seg: Segment): void {
    this.close();
    this.appendFd = fs.openSync(seg.file, 'a');
    this.appendSeg = seg;
  }

  private writeAll(seg: Segment, buf: Buffer): void {
    appendAll(this.appendFd!, buf, seg.bytes);
    seg.bytes += buf.length;
  }

  private trim(): void {
    while (this.entries.length - this.head > this.retention) {
      const e = this.entries[this.head]!;
      this.entries[this.head] = undefined as unknown as Entry<S>;
      this.head++;
      e.seg.live--;
    }
    // Delete the files none of whose records is kept (never the one being appended to).
    while (this.segments.length > 1 && this.segments[0]!.live === 0) {
      const seg = this.segments.shift()!;
      fs.rmSync(seg.file, { force: true });
    }
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
