/** Compact JSON encoding of typed arrays (little-endian bytes as base64). */
export interface EncodedArray {
  readonly type: 'f64' | 'i32' | 'f32' | 'u8';
  readonly length: number;
  readonly base64: string;
}

type Typed = Float64Array | Int32Array | Float32Array | Uint8Array;

const TYPES: Readonly<Record<string, EncodedArray['type']>> = { Float64Array: 'f64', Int32Array: 'i32', Float32Array: 'f32', Uint8Array: 'u8' };

/**
 * The array's kind from its built-in tag ("[object Float64Array]"), not `instanceof`: arrays that arrive from a
 * worker thread or another vm context (e.g. under jest) were made by that realm's constructors, and `instanceof`
 * against this realm's is false for them.
 */
export function typedArrayKind(a: unknown): EncodedArray['type'] | null {
  return TYPES[Object.prototype.toString.call(a).slice(8, -1)] ?? null;
}

function typeOf(a: Typed): EncodedArray['type'] {
  const type = typedArrayKind(a);
  if (!type) throw new Error(`cannot encode ${Object.prototype.toString.call(a)}: expected a Float64Array, Int32Array, Float32Array or Uint8Array`);
  return type;
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
