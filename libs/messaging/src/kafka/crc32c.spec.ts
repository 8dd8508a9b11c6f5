/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' own CRC32C is the reference */
import { crc32c } from './crc32c';

const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

describe('crc32c', () => {
  it('is the Castagnoli CRC (check value of "123456789")', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('matches kafkajs on every range of a buffer, aligned or not', () => {
    const sample = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
    for (const [s, e] of [[0, 1000], [3, 17], [5, 5], [1, 999], [7, 8], [0, 15], [100, 164], [2, 3], [1, 12]]) {
      expect(crc32c(sample, s, e)).toBe(kafkajsCrc32c(sample.subarray(s, e)) >>> 0);
    }
    // views at every alignment of the underlying memory (the word reads start at a 4-byte boundary)
    for (let offset = 0; offset < 8; offset++) {
      const view = sample.subarray(offset, offset + 301);
      expect(crc32c(view)).toBe(kafkajsCrc32c(view) >>> 0);
      expect(crc32c(view, 3, 297)).toBe(kafkajsCrc32c(view.subarray(3, 297)) >>> 0);
    }
  });
});
