/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' own murmur2 is the reference */
import { Partitioners } from 'kafkajs';
import { KeyPartitioner, murmur2, partitionOfKey } from './murmur2.partitioner';

const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;

const keys = [
  '', 'a', 'ab', 'abc', 'abcd', 'abcde', '17850', '12346', 'invoice:536365', 'invoice:C536379', 'é', '✓✓', '😀 emoji',
  ...Array.from({ length: 500 }, (_, i) => String(10_000 + i * 13)),
  ...Array.from({ length: 60 }, (_, i) => 'x'.repeat(i) + String.fromCharCode(200 + i)),
];

describe('murmur2', () => {
  it('equals kafkajs (the Java client) on every key', () => {
    for (const key of keys) expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(key));
  });

  it('gives the partition kafkajs DefaultPartitioner gives', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 7, 100]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      for (const key of keys) {
        expect(partitionOfKey(key, partitions)).toBe(partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } }));
      }
    }
  });
});

describe('KeyPartitioner', () => {
  it('remembers partitions per partition count and stays bounded', () => {
    const p = new KeyPartitioner(10);
    for (const key of keys) expect(p.partition(key, 6)).toBe(partitionOfKey(key, 6));
    for (const key of keys) expect(p.partition(key, 7)).toBe(partitionOfKey(key, 7)); // topic grew: recomputed
    for (const key of keys.slice(0, 5)) expect(p.partition(key, 7)).toBe(partitionOfKey(key, 7));
  });
});
