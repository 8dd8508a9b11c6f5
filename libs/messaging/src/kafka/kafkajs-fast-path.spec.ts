/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs internals are what is checked */
import type { ProduceRequestArgs } from './produce-request.encoder';

// The originals, loaded before the fast path replaces anything (jest gives every spec file its own modules).
type Grouping = (args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (a: { message: unknown }) => number }) => Record<number, unknown[]>;
const kafkajsGrouping = require('kafkajs/src/producer/groupMessagesPerPartition') as Grouping;
const kafkajsFrame = require('kafkajs/src/protocol/request') as (args: unknown) => Promise<{ buffer: Buffer }>;
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request') as (args: ProduceRequestArgs) => { encode(): Promise<{ buffer: Buffer }> };
const originalGroupingId = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');

function loadFastPath(): typeof import('./kafkajs-fast-path') {
  let loaded!: typeof import('./kafkajs-fast-path');
  jest.isolateModules(() => {
    loaded = require('./kafkajs-fast-path');
  });
  return loaded;
}

const produceArgs = (extra: Partial<ProduceRequestArgs['topicData'][0]['partitions'][0]['messages'][0]> = {}, compression = 0): ProduceRequestArgs => ({
  acks: -1,
  timeout: 30_000,
  compression,
  producerId: 12,
  producerEpoch: 1,
  topicData: [{ topic: 't', partitions: [{ partition: 2, firstSequence: 4, messages: [{ key: 'k', value: 'v1', ...extra }, { key: null, value: 'v2' }] }] }],
});

describe('kafkajs fast path', () => {
  it('groups messages per partition exactly like kafkajs', () => {
    const { groupMessagesPerPartition } = loadFastPath();
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, partition: (i * 7) % 5 }));
    const args = { topic: 't', partitionMetadata: [{}, {}, {}, {}, {}], messages, partitioner: ({ message }: { message: unknown }) => (message as { partition: number }).partition };
    expect(groupMessagesPerPartition(args)).toEqual(kafkajsGrouping(args));
    expect(Object.keys(groupMessagesPerPartition(args))).toEqual(Object.keys(kafkajsGrouping(args)));
    expect(groupMessagesPerPartition({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('frames requests exactly like kafkajs', async () => {
    const { frameRequest } = loadFastPath();
    const Encoder = require('kafkajs/src/protocol/encoder') as new () => { writeString(s: string): unknown; writeInt32(n: number): unknown };
    for (const clientId of ['insiders', 'clíent-✓', '', null]) {
      const body = new Encoder();
      body.writeString('body ✓');
      body.writeInt32(42);
      const args = { correlationId: 77, clientId, request: { apiKey: 0, apiVersion: 7, encode: async () => body } };
      const expected = (await kafkajsFrame(args)).buffer;
      const actual = (await frameRequest(args as unknown as Parameters<typeof frameRequest>[0])).buffer;
      expect(actual.equals(expected)).toBe(true);
    }
  });

  it('installs all three parts when it runs before kafkajs loads, and only once', async () => {
    const { installKafkajsFastPath, kafkajsFastPathStatus } = loadFastPath();
    // in this spec file kafkajs' producer and connection modules have not been loaded yet
    const status = installKafkajsFastPath();
    expect(status).toEqual({ kafkajsVersion: '2.2.4', produceEncoder: true, grouping: true, framing: true, fetchDecoder: true });
    expect(kafkajsFastPathStatus()).toBe(status);
    expect(require(originalGroupingId)).not.toBe(kafkajsGrouping);

    // the Produce definition kafkajs looks up per request now encodes qualifying requests itself, same bytes
    const produce = require('kafkajs/src/protocol/requests/produce') as {
      protocol(a: { version: number }): (args: ProduceRequestArgs) => { request: { apiVersion: number; encode(): Promise<{ buffer: Buffer }> } };
    };
    const spy = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      for (const version of [3, 5, 7]) {
        for (const args of [produceArgs(), produceArgs({ headers: { h: 'x' } }), produceArgs({ timestamp: 1_600_000_000_000 }), produceArgs({}, 1)]) {
          const built = produce.protocol({ version })(args).request;
          expect(built.apiVersion).toBe(version);
          const expected = (await kafkajsProduceV3(args).encode()).buffer;
          expect((await built.encode()).buffer.equals(expected)).toBe(true);
        }
      }
    } finally {
      spy.mockRestore();
    }
    // installing again does not wrap twice
    const wrapped = produce.protocol;
    loadFastPath().installKafkajsFastPath();
    expect(produce.protocol).toBe(wrapped);
  });

  it('keeps stock grouping and framing when kafkajs was loaded first', () => {
    require('kafkajs');
    let status!: ReturnType<typeof import('./kafkajs-fast-path').installKafkajsFastPath>;
    jest.isolateModules(() => {
      require('kafkajs'); // a fresh module registry in which kafkajs loads before the fast path
      status = (require('./kafkajs-fast-path') as typeof import('./kafkajs-fast-path')).installKafkajsFastPath();
    });
    expect(status.produceEncoder).toBe(true);
    expect(status.grouping).toBe(false);
    expect(status.framing).toBe(false);
    expect(status.fetchDecoder).toBe(true); // loaded lazily by kafkajs, at the first fetch
    expect(status.note).toMatch(/loaded before/);
  });

  it('falls back to stock kafkajs on any other kafkajs version', () => {
    let status!: ReturnType<typeof import('./kafkajs-fast-path').installKafkajsFastPath>;
    jest.isolateModules(() => {
      jest.doMock('kafkajs/package.json', () => ({ version: '2.3.0' }));
      status = (require('./kafkajs-fast-path') as typeof import('./kafkajs-fast-path')).installKafkajsFastPath();
      const produce = require('kafkajs/src/protocol/requests/produce') as { protocol: unknown; [k: symbol]: unknown };
      expect(produce[Symbol.for('insiders.kafkajs-fast-path')]).toBeUndefined();
    });
    jest.dontMock('kafkajs/package.json');
    expect(status).toMatchObject({ kafkajsVersion: '2.3.0', produceEncoder: false, grouping: false, framing: false, fetchDecoder: false });
    expect(status.note).toMatch(/2\.3\.0 is not 2\.2\.4/);
  });
});
