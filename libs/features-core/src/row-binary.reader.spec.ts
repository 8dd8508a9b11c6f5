import { RowBinaryReader } from './row-binary.reader';

/** RowBinary bytes of the given values, encoded by hand the way ClickHouse does. */
function float64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
}
function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([varUInt(bytes.length), bytes]);
}
function varUInt(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

describe('RowBinaryReader', () => {
  it('reads UInt8, Float64, strings (multi-byte length and UTF-8) and Float64 arrays in order', () => {
    const long = 'x'.repeat(300);
    const data = Buffer.concat([Buffer.from([7]), float64(-1.25), str('Österreich'), str(long), varUInt(2), float64(1), float64(2e15)]);
    const r = new RowBinaryReader(data);
    expect(r.uint8()).toBe(7);
    expect(r.float64()).toBe(-1.25);
    expect(r.string()).toBe('Österreich');
    expect(r.string()).toBe(long);
    expect(r.float64Array()).toEqual([1, 2e15]);
    expect(r.done).toBe(true);
  });

  it('reads a map as flat [index, value] pairs into a reused array', () => {
    const data = Buffer.concat([varUInt(2), Buffer.from([0, 6]), varUInt(2), float64(10), float64(20), varUInt(0), varUInt(0)]);
    const r = new RowBinaryReader(data);
    const into = [99, 99, 99, 99, 99, 99];
    expect(r.indexedFloat64Pairs(into)).toBe(into);
    expect(into).toEqual([0, 10, 6, 20]);
    expect(r.indexedFloat64Pairs(into)).toEqual([]);
    expect(r.done).toBe(true);
  });

  it('throws on truncated data instead of reading garbage', () => {
    expect(() => new RowBinaryReader(float64(1).subarray(0, 5)).float64()).toThrow(/truncated/);
    expect(() => new RowBinaryReader(Buffer.concat([varUInt(10), Buffer.from('abc')])).string()).toThrow(/truncated/);
    const mismatched = Buffer.concat([varUInt(1), Buffer.from([3]), varUInt(2), float64(1), float64(2)]);
    expect(() => new RowBinaryReader(mismatched).indexedFloat64Pairs()).toThrow(/differ/);
  });
});
