/**
 * Reads ClickHouse RowBinary values in order from a byte buffer: the few types feature reads use (UInt8, Float64,
 * String, Array(Float64), a map as Array(UInt8) + Array(Float64)). Pure and allocation-light: numbers come straight out of a DataView.
 */
export class RowBinaryReader {
  private offset = 0;
  private readonly view: DataView;
  private readonly bytes: Buffer;

  constructor(data: Uint8Array) {
    this.bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  uint8(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }

  float64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  /** LEB128 unsigned integer (string and array lengths). */
  varUInt(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.uint8();
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
      if (shift > 49) throw new Error('RowBinary: length varint too long');
    }
  }

  string(): string {
    const length = this.varUInt();
    this.need(length);
    const text = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }

  float64Array(): number[] {
    const length = this.varUInt();
    this.need(length * 8);
    const values = new Array<number>(length);
    for (let i = 0; i < length; i++) values[i] = this.view.getFloat64(this.offset + i * 8, true);
    this.offset += length * 8;
    return values;
  }

  /**
   * An Array(UInt8) of indexes followed by an Array(Float64) of values of the same length (a sumMap's keys and
   * values), written into `into` (emptied first) as flat pairs [index, value, index, value, ...]. Reusing one
   * target array keeps a million-row read from allocating two small arrays per row.
   */
  indexedFloat64Pairs(into: number[] = []): number[] {
    const n = this.varUInt();
    this.need(n);
    const keysAt = this.offset;
    this.offset += n;
    if (this.varUInt() !== n) throw new Error('RowBinary: map keys and values differ in length');
    this.need(n * 8);
    into.length = 0;
    for (let i = 0; i < n; i++) into.push(this.bytes[keysAt + i], this.view.getFloat64(this.offset + i * 8, true));
    this.offset += n * 8;
    return into;
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new Error(`RowBinary: truncated at byte ${this.offset} (need ${n} more)`);
  }
}
