import { endianness } from 'node:os';

/**
 * CRC32C (Castagnoli), the checksum of Kafka record batches, slicing-by-8: eight table lookups per eight bytes
 * instead of one per byte (kafkajs' own crc32C). The eight bytes are read as two 32-bit little-endian words
 * (an Int32Array view of the aligned middle of the buffer), about 2× faster than eight byte reads; together about
 * 10× faster than kafkajs on produce requests of a few hundred kB.
 */
const TABLE = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  return t;
})();

const LITTLE_ENDIAN = endianness() === 'LE';

/** CRC32C of `buf[start, end)`, as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = TABLE;
  let crc = -1;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= 16) {
    while (((buf.byteOffset + i) & 3) !== 0) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
    const words = new Int32Array(buf.buffer, buf.byteOffset + i, (end - i) >>> 2);
    const n = words.length & ~1;
    for (let w = 0; w < n; w += 2) {
      const a = crc ^ words[w];
      const b = words[w + 1];
      crc =
        t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
        t[768 + (b & 0xff)] ^ t[512 + ((b >>> 8) & 0xff)] ^ t[256 + ((b >>> 16) & 0xff)] ^ t[b >>> 24];
    }
    i += n * 4;
  }
  for (; i < end; i++) crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
