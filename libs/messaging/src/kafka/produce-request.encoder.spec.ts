/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' own encoder is the reference */
import { canEncodeProduceRequest, encodeProduceRequest, type ProduceMessage, type ProduceRequestArgs } from './produce-request.encoder';

// kafkajs' own Produce v3 request (v4..v7 reuse it): what the fast encoder must reproduce byte for byte.
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: ProduceRequestArgs) => {
  encode(): Promise<{ buffer: Buffer }>;
};
const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };

const NOW = 1_700_000_000_123;

async function kafkajsBytes(args: ProduceRequestArgs): Promise<Buffer> {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(NOW);
  try {
    return (await kafkajsProduceV3(args).encode()).buffer;
  } finally {
    spy.mockRestore();
  }
}

async function expectSameBytes(args: ProduceRequestArgs): Promise<void> {
  expect(canEncodeProduceRequest(args)).toBe(true);
  const expected = await kafkajsBytes(args);
  const actual = encodeProduceRequest(args, NOW);
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '7', ' ', '"', 'é', '£', 'ü', '✓', '😀', '\u0000', '\n'];

function randomText(rnd: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  return s;
}

function randomMessage(rnd: () => number): ProduceMessage {
  const kind = rnd();
  const key = kind < 0.15 ? null : kind < 0.2 ? '' : kind < 0.3 ? Buffer.from(randomText(rnd, 6)) : randomText(rnd, 1 + Math.floor(rnd() * 12));
  const v = rnd();
  const length = v < 0.02 ? 17_000 + Math.floor(rnd() * 40_000) : Math.floor(rnd() * 400);
  const value = v < 0.1 ? null : v < 0.5 ? Buffer.from(randomText(rnd, length)) : randomText(rnd, length);
  return rnd() < 0.1 ? { key, value, headers: {} } : { key, value };
}

describe('encodeProduceRequest', () => {
  it('writes what kafkajs writes: keyed JSON values over several partitions of one topic', async () => {
    await expectSameBytes({
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromValue(4321),
      producerEpoch: 3,
      topicData: [
        {
          topic: 'insiders.invoice-lines.v1',
          partitions: Array.from({ length: 12 }, (_, p) => ({
            partition: p,
            firstSequence: p * 1000,
            messages: Array.from({ length: 1 + p * 37 }, (_, i) => ({ key: String(12346 + i), value: Buffer.from(`{"i":${i},"p":${p}}`) })),
          })),
        },
      ],
    });
  });

  it('handles null and empty keys and values, multi-byte text and Buffer keys', async () => {
    await expectSameBytes({
      acks: -1,
      timeout: 100,
      producerId: Long.fromValue(7),
      topicData: [
        {
          topic: 'tópico-✓',
          partitions: [
            {
              partition: 0,
              firstSequence: 17,
              messages: [
                { key: null, value: null },
                { key: '', value: '' },
                { key: 'k', value: null },
                { key: null, value: 'x' },
                { key: Buffer.from('bytes'), value: '{"a":"é £ ü 😀"}' },
                { key: '17850', value: Buffer.alloc(0) },
              ],
            },
          ],
        },
      ],
    });
  });

  it('handles long values and many records (multi-byte varints for lengths and offset deltas)', async () => {
    await expectSameBytes({
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromValue(1),
      topicData: [
        {
          topic: 't',
          partitions: [
            { partition: 3, messages: [{ key: 'big', value: 'v'.repeat(300_000) }, { key: 'mid', value: Buffer.alloc(20_000, 7) }] },
            { partition: 4, firstSequence: 2_000_000_000, messages: Array.from({ length: 10_000 }, (_, i) => ({ key: `c${i % 97}`, value: `{"n":${i}}` })) },
          ],
        },
      ],
    });
  });

  it('handles several topics (several batches), transactional ids, large producer ids and numbers as ids', async () => {
    const topicData = [
      { topic: 'a', partitions: [{ partition: 0, messages: [{ key: 'k1', value: 'v1' }] }, { partition: 9, messages: [{ key: 'k2', value: 'v2' }] }] },
      { topic: 'b', partitions: [{ partition: 1, firstSequence: 5, messages: [{ key: null, value: 'only value' }] }] },
    ];
    await expectSameBytes({ acks: 1, timeout: 5, transactionalId: 'tx-ü-1', producerId: Long.fromValue(2 ** 40 + 12345), producerEpoch: 32_000, topicData });
    await expectSameBytes({ acks: -1, timeout: 5, producerId: 99, topicData });
    await expectSameBytes({ acks: -1, timeout: 5, producerId: '1099511627776', topicData }); // kafkajs' idempotent producer id
    await expectSameBytes({ acks: 0, timeout: 5, topicData }); // no producer id: -1
  });

  it('handles a partition without messages', async () => {
    await expectSameBytes({ acks: -1, timeout: 5, topicData: [{ topic: 'e', partitions: [{ partition: 0, messages: [] }] }] });
  });

  it('matches kafkajs on 15 random requests', async () => {
    const rnd = random(42);
    for (let n = 0; n < 15; n++) {
      const topics = 1 + Math.floor(rnd() * 3);
      await expectSameBytes({
        acks: rnd() < 0.8 ? -1 : 1,
        timeout: Math.floor(rnd() * 60_000),
        transactionalId: rnd() < 0.2 ? randomText(rnd, 8) : null,
        producerId: Long.fromValue(Math.floor(rnd() * 2 ** 50)),
        producerEpoch: Math.floor(rnd() * 100),
        topicData: Array.from({ length: topics }, (_, t) => ({
          topic: `topic-${t}-${randomText(rnd, 3)}`,
          partitions: Array.from({ length: 1 + Math.floor(rnd() * 8) }, (_, p) => ({
            partition: p * 2,
            firstSequence: Math.floor(rnd() * 1e6),
            messages: Array.from({ length: 1 + Math.floor(rnd() * 80) }, () => randomMessage(rnd)),
          })),
        })),
      });
    }
  });
});

describe('canEncodeProduceRequest', () => {
  const base = (messages: ProduceMessage[], compression = 0): ProduceRequestArgs => ({
    acks: -1,
    timeout: 5,
    compression,
    topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
  });

  it('leaves compression, headers and message timestamps to kafkajs', () => {
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v' }]))).toBe(true);
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v', headers: {} }]))).toBe(true);
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v' }], 1))).toBe(false); // gzip
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v' }, { key: 'k', value: 'v', headers: { h: 'x' } }]))).toBe(false);
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v', timestamp: 5 }]))).toBe(false);
    expect(canEncodeProduceRequest(base([{ key: 'k', value: 'v', timestamp: '5' }]))).toBe(false);
  });
});
