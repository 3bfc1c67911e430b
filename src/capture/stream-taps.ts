import { IncomingMessage, OutgoingMessage } from 'node:http';
import shimmer from 'shimmer';
import type { CapturedBody } from '../event/types.js';
import { tapChunk } from './body-tap.js';

/**
 * Prototype taps that see every body chunk of the HTTP messages we capture, whatever way the app
 * reads or writes them. A message is captured when it carries a BodyTarget under TAP; every other
 * message pays one property lookup. Patched once per process, whichever copy of the package loads
 * first (the marker is a global symbol).
 */
export const TAP = Symbol.for('moesif.bodyTap');

export interface BodyTarget {
  body: CapturedBody;
  limit: number;
  /** Set while end() runs, so a write() that end() makes inside Node is not counted twice. */
  ending?: boolean;
  /** Called with the message when its parser pushes the end (the last byte arrived), read or not. */
  onEnd?: (message: any) => void;
}

const PATCHED = Symbol.for('moesif.streamTaps');

export function installStreamTaps(): void {
  const protos = globalThis as any;
  if (protos[PATCHED]) return;
  protos[PATCHED] = true;

  // Incoming bytes (server requests, client responses): the HTTP parser push()es each chunk, so
  // observing push sees data in flowing, paused, async-iteration and pipe modes, read or not.
  shimmer.wrap(IncomingMessage.prototype as any, 'push', (original: (chunk: any, encoding?: any) => boolean) =>
    function push(this: any, chunk: any, encoding?: any) {
      const target: BodyTarget | undefined = this[TAP];
      if (target !== undefined) {
        if (chunk !== null) tapChunk(target.body, chunk, encoding, target.limit);
        else if (target.onEnd !== undefined) {
          try {
            target.onEnd(this);
          } catch {
            /* a capture bug must never reach the app's parser */
          }
        }
      }
      return original.apply(this, arguments as any);
    },
  );

  // Outgoing bytes (server responses, client requests): every form of write and end.
  shimmer.wrap(OutgoingMessage.prototype as any, 'write', (original: (...args: any[]) => boolean) =>
    function write(this: any, chunk: any, encoding?: any, _cb?: any) {
      const target: BodyTarget | undefined = this[TAP];
      // _hasBody is false for HEAD, 204 and 304: Node drops those bytes, so do we.
      if (target !== undefined && !target.ending && typeof chunk !== 'function' && this._hasBody !== false) {
        tapChunk(target.body, chunk, typeof encoding === 'string' ? encoding : undefined, target.limit);
      }
      return original.apply(this, arguments as any);
    },
  );
  shimmer.wrap(OutgoingMessage.prototype as any, 'end', (original: (...args: any[]) => any) =>
    function end(this: any, chunk?: any, encoding?: any, _cb?: any) {
      const target: BodyTarget | undefined = this[TAP];
      if (target === undefined) return original.apply(this, arguments as any);
      if (typeof chunk !== 'function' && !this.writableEnded && this._hasBody !== false) {
        tapChunk(target.body, chunk, typeof encoding === 'string' ? encoding : undefined, target.limit);
      }
      target.ending = true;
      try {
        return original.apply(this, arguments as any);
      } finally {
        target.ending = false;
      }
    },
  );
}
