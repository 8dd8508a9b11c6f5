/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' own encoder and decoder are the reference */
import { decodeRecordBatch, fastRecordBatchDecoder, type FetchDecoder, type RecordBatchDecoder } from './record-batch.decoder';

const kafkajsDecode = require('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: Record<string, unknown>) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => FetchDecoder & { canReadBytes(n: number): boolean };
const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): unknown };
const { Types } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number } };

interface RecordSpec {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: Record<string, string | string[]>;
  offsetDelta: number;
  timestampDelta?: number;
}

async function batch(
  records: RecordSpec[],
  { firstOffset = '0', firstTimestamp = 1_700_000_000_000, compression = Types.None, attributes = 0, producerId = 4321 }: {
    firstOffset?: string;
    firstTimestamp?: number;
    compression?: number;
    attributes?: number;
    producerId?: number | string;
  } = {},
): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression,
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + 99,
    producerId: Long.fromValue(producerId),
    producerEpoch: 2,
    firstSequence: 17,
    lastOffsetDelta: records.length - 1,
    records: records.map((r) => Record({ ...r, key: r.key ?? null, value: r.value ?? null })),
  });
  const buffer = Buffer.from(encoded.buffer);
  if (attributes) buffer.writeInt16BE(buffer.readInt16BE(21) | attributes, 21); // control / log-append-time / transactional bits
  return buffer;
}

/** What kafkajs' fetch decoding does with consecutive batches: decode until a partial batch. */
async function decodeAll(buffer: Buffer, decode: RecordBatchDecoder) {
  const decoder = new Decoder(buffer);
  const batches = [];
  while (decoder.canReadBytes(49)) {
    try {
      batches.push(await decode(decoder));
    } catch (e) {
      if ((e as Error).name === 'KafkaJSPartialMessageError') break;
      throw e;
    }
  }
  return { batches, offset: decoder.offset };
}

/** Same result as kafkajs; `fallbacks`: how many batches are expected to be left to kafkajs' decoder. */
async function expectSameAsKafkajs(buffer: Buffer, fallbacks = 0): Promise<void> {
  const expected = await decodeAll(buffer, kafkajsDecode);
  // whole batches at once, and in slices of 7 records with the event loop let through between them
  for (const recordsPerSlice of [undefined, 7]) {
    const original = jest.fn(kafkajsDecode);
    const actual = await decodeAll(buffer, fastRecordBatchDecoder(original, recordsPerSlice));
    expect(original).toHaveBeenCalledTimes(fallbacks);
    expect(actual).toEqual(expected);
    expect(actual.batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual(expected.batches.flatMap((b) => b.records.map((r) => r.offset)));
  }
}

const json = (i: number) => JSON.stringify({ i, text: 'é £ ✓ 😀' });

describe('record batch decoding', () => {
  it('decodes uncompressed batches like kafkajs: keys, null keys and values, headers, offsets and timestamps', async () => {
    const first = await batch(
      Array.from({ length: 300 }, (_, i) => ({
        key: i % 7 === 0 ? null : `customer-${i % 13}`,
        value: i % 50 === 3 ? null : i % 50 === 4 ? '' : json(i),
        offsetDelta: i,
        timestampDelta: i * 1000,
        ...(i % 10 === 0 ? { headers: { 'event-type': 'x', seq: String(i) } } : {}),
      })),
      { firstOffset: '1000' },
    );
    const second = await batch([{ key: 'k', value: 'x'.repeat(70_000), offsetDelta: 0, headers: { dup: ['a', 'b', 'c'], null: 'n' } }], { firstOffset: '1300' });
    await expectSameAsKafkajs(Buffer.concat([first, second]));
    const decoded = decodeRecordBatch(new Decoder(first))!;
    expect(decoded.records).toHaveLength(300);
    expect(decoded.records[299]).toMatchObject({ offset: '1299', timestamp: String(1_700_000_000_000 + 299_000) });
  });

  it('matches kafkajs for offsets and timestamps beyond 2^53, negative deltas and long varlongs', async () => {
    await expectSameAsKafkajs(
      await batch(
        [
          { key: 'a', value: 'v', offsetDelta: 0, timestampDelta: -5 },
          { key: 'b', value: 'v', offsetDelta: 3, timestampDelta: 2 ** 52 },
          { key: 'c', value: 'v', offsetDelta: 70_000, timestampDelta: -(2 ** 40) },
        ],
        { firstOffset: '9007199254740993', producerId: '9007199254740999' },
      ),
    );
    await expectSameAsKafkajs(await batch([{ key: 'a', value: 'v', offsetDelta: 1 }], { firstOffset: '9223372036854775806' })); // wraps like Long
    await expectSameAsKafkajs(await batch([{ key: 'a', value: 'v', offsetDelta: 0 }], { firstTimestamp: -1 }));
  });

  it('keeps the batch flags: transactional, control, log-append time', async () => {
    const records = [{ key: 'k', value: 'v', offsetDelta: 0, timestampDelta: 5 }, { key: null, value: 'w', offsetDelta: 1 }];
    for (const attributes of [0x10, 0x20, 0x30, 0x08]) await expectSameAsKafkajs(await batch(records, { attributes }));
  });

  it('stops at a partial batch at the end of a fetch, as kafkajs does', async () => {
    const whole = await batch([{ key: 'k', value: json(1), offsetDelta: 0 }, { key: 'k', value: json(2), offsetDelta: 1 }]);
    const cut = await batch([{ key: 'k', value: json(3), offsetDelta: 0 }], { firstOffset: '2' });
    await expectSameAsKafkajs(Buffer.concat([whole, cut.subarray(0, 10)]), 0); // too short to try
    for (const keep of [60, cut.length - 1]) await expectSameAsKafkajs(Buffer.concat([whole, cut.subarray(0, keep)]), 1);
  });

  it('leaves compressed batches to kafkajs', async () => {
    const gzip = await batch([{ key: 'k', value: json(1), offsetDelta: 0 }, { key: 'k', value: json(2), offsetDelta: 1 }], { compression: Types.GZIP });
    expect(decodeRecordBatch(new Decoder(gzip))).toBeUndefined();
    await expectSameAsKafkajs(Buffer.concat([gzip, await batch([{ key: 'k', value: 'plain', offsetDelta: 0 }], { firstOffset: '2' })]), 1);
  });

  it('decodes batches of several fetches at the same time in slices (each keeps its own read position)', async () => {
    const make = (tag: string, n: number, firstOffset: string) =>
      batch(Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i % 3}`, value: `${tag}:${i}:${'x'.repeat(i % 17)}`, offsetDelta: i })), { firstOffset });
    const buffers = [await make('a', 50, '100'), await make('b', 33, '900'), await make('c', 1, '5')];
    const original = jest.fn(kafkajsDecode);
    const decode = fastRecordBatchDecoder(original, 4);
    const together = await Promise.all(buffers.map((b) => decode(new Decoder(b))));
    const alone = await Promise.all(buffers.map((b) => kafkajsDecode(new Decoder(b))));
    expect(together).toEqual(alone);
    expect(original).not.toHaveBeenCalled(); // decoded here, none handed back as malformed
    expect(together[0]!.records[49]).toMatchObject({ offset: '149', value: Buffer.from(`a:49:${'x'.repeat(49 % 17)}`) });
  });

  it('leaves malformed records to kafkajs without reading anything', async () => {
    const good = await batch([{ key: 'key', value: 'value', offsetDelta: 0 }]);
    const broken = Buffer.from(good);
    broken[61] = 0x7e; // first record's length (zigzag 63): longer than the batch
    const decoder = new Decoder(broken);
    expect(decodeRecordBatch(decoder)).toBeUndefined();
    expect(decoder.offset).toBe(0);
  });
});
