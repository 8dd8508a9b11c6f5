/** Compact JSON encoding of typed arrays (little-endian bytes as base64). */
export interface EncodedArray {
  readonly type: 'f64' | 'i32' | 'f32' | 'u8';
  readonly length: number;
  readonly base64: string;
}

type Typed = Float64Array | Int32Array | Float32Array | Uint8Array;

function typeOf(a: Typed): EncodedArray['type'] {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Float32Array) return 'f32';
  return 'u8';
}

export function encodeArray(a: Typed): EncodedArray {
  return { type: typeOf(a), length: a.length, base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

function bytes(e: EncodedArray, width: number): ArrayBuffer {
  const buf = Buffer.from(e.base64, 'base64');
  if (buf.length !== e.length * width) throw new Error(`encoded ${e.type} array: ${buf.length} bytes for ${e.length} values`);
  const out = new ArrayBuffer(buf.length);
  new Uint8Array(out).set(buf);
  return out;
}

function expect(e: EncodedArray, type: EncodedArray['type']): void {
  if (!e || e.type !== type) throw new Error(`expected an encoded ${type} array, got ${e ? e.type : String(e)}`);
}

export function decodeFloat64(e: EncodedArray): Float64Array {
  expect(e, 'f64');
  return new Float64Array(bytes(e, 8));
}

export function decodeInt32(e: EncodedArray): Int32Array {
  expect(e, 'i32');
  return new Int32Array(bytes(e, 4));
}

export function decodeFloat32(e: EncodedArray): Float32Array {
  expect(e, 'f32');
  return new Float32Array(bytes(e, 4));
}
