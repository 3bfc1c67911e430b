/**
 * FIFO of held items with two bounds, count and bytes. Items that do not fit are refused (the
 * newest is dropped, as SPEC §6 says) and the caller counts them. A head index instead of
 * shift() keeps take() O(batch).
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  bytes = 0;

  constructor(public maxItems: number, public maxBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** 'count' or 'bytes' when the item does not fit (within `maxBytes`, at most the bound); undefined when it was added. */
  push(item: T, size: number, alsoHeld: { items: number; bytes: number }, maxBytes = this.maxBytes): 'count' | 'bytes' | undefined {
    if (this.length + alsoHeld.items >= this.maxItems) return 'count';
    if (this.bytes + alsoHeld.bytes + size > maxBytes) return 'bytes';
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
    return undefined;
  }

  take(max: number): T[] {
    const end = Math.min(this.head + max, this.items.length);
    const out = this.items.slice(this.head, end);
    for (let i = this.head; i < end; i++) {
      this.bytes -= this.sizes[i]!;
      this.items[i] = undefined!; // let go at once: a backlog must not keep taken events (and their bodies) alive
    }
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}
