import type { OutgoingMessage } from '@insiders/messaging';

/**
 * Messages in a form that moves between threads without copying: the keys, and all values UTF-8 encoded into one
 * byte buffer with each value's end offset. The replay's worker thread produces them (its buffers are transferred,
 * not cloned); the publisher hands the bus views of the values (`unpackMessages`), no per-message copy.
 */
export interface PackedMessages {
  keys: (string | null)[];
  values: Uint8Array;
  /** `ends[i]`: where value i ends in `values` (value i starts at `ends[i - 1]`, or 0). */
  ends: Uint32Array;
}

export const EMPTY_PACKED: PackedMessages = { keys: [], values: new Uint8Array(0), ends: new Uint32Array(0) };

/** Collects string messages and packs them with one UTF-8 encoding of all values together. */
export class MessagePacker {
  private keys: (string | null)[] = [];
  private values: string[] = [];

  get length(): number {
    return this.keys.length;
  }

  add(key: string | null, value: string): void {
    this.keys.push(key);
    this.values.push(value);
  }

  /** Packs what was added and starts empty again. */
  pack(): PackedMessages {
    const n = this.keys.length;
    const ends = new Uint32Array(n);
    let joined = '';
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      joined += v;
      ends[i] = joined.length;
    }
    const values = Buffer.from(joined, 'utf8');
    // String lengths are byte lengths only for ASCII text; otherwise measure each value.
    if (values.length !== joined.length) {
      let at = 0;
      for (let i = 0; i < n; i++) ends[i] = at += Buffer.byteLength(this.values[i], 'utf8');
    }
    const packed = { keys: this.keys, values, ends };
    this.keys = [];
    this.values = [];
    return packed;
  }
}

/** Messages `from..to` of a packed set; the values are views of `packed.values`. */
export function unpackMessages(packed: PackedMessages, from = 0, to = packed.keys.length): OutgoingMessage[] {
  const { keys, values, ends } = packed;
  const messages: OutgoingMessage[] = new Array(to - from);
  const buffer = Buffer.isBuffer(values) ? values : Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  let start = from === 0 ? 0 : ends[from - 1];
  for (let i = from; i < to; i++) {
    const end = ends[i];
    messages[i - from] = { key: keys[i], value: buffer.subarray(start, end) };
    start = end;
  }
  return messages;
}
