import { runInNewContext } from 'node:vm';
import { decodeFloat32, decodeFloat64, decodeInt32, encodeArray, typedArrayKind } from './typed-array.codec';

describe('typed-array codec', () => {
  it('round-trips each supported kind', () => {
    expect(Array.from(decodeFloat64(encodeArray(Float64Array.from([1.5, -2, 1e300]))))).toEqual([1.5, -2, 1e300]);
    expect(Array.from(decodeInt32(encodeArray(Int32Array.from([7, -8]))))).toEqual([7, -8]);
    expect(Array.from(decodeFloat32(encodeArray(Float32Array.from([0.5]))))).toEqual([0.5]);
    expect(encodeArray(Uint8Array.from([1, 2])).type).toBe('u8');
  });

  it('recognises arrays made in another realm (a worker thread, a vm context such as jest)', () => {
    const foreign = runInNewContext('new Float64Array([1, 2, 3])') as Float64Array;
    expect(foreign instanceof Float64Array).toBe(false);
    expect(typedArrayKind(foreign)).toBe('f64');
    expect(Array.from(decodeFloat64(encodeArray(foreign)))).toEqual([1, 2, 3]);
    const shared = runInNewContext('new Int32Array(new SharedArrayBuffer(8))') as Int32Array;
    expect(encodeArray(shared).type).toBe('i32');
  });

  it('rejects kinds it cannot decode', () => {
    expect(() => encodeArray(Int16Array.from([1]) as unknown as Int32Array)).toThrow(/cannot encode \[object Int16Array\]/);
    expect(() => decodeInt32(encodeArray(Float64Array.from([1])))).toThrow(/expected an encoded i32 array/);
  });
});
