/* eslint-disable @typescript-eslint/no-require-imports */
import { crc32c, encodeProduceFast, ProduceArgs } from './kafkajs-fast-path';

/**
 * Byte-for-byte comparison of the fast Produce encoding with kafkajs' own (run by bench/ingest.ts before it
 * measures `--fast-path`, and on its own: `node -r @swc-node/register bench/ingest/kafkajs-fast-path.check.ts`).
 */
export async function checkKafkajsFastPath(): Promise<void> {
  const Encoder = require('kafkajs/src/protocol/encoder') as { prototype: object };
  const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };
  const kafkajsCrc = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
  // The original module, loaded fresh (the cache entry may already be the replacement).
  const Module = require('node:module') as { new (id: string): NodeJS.Module & { _compile?: unknown; load(f: string): void } };
  const id = require.resolve('kafkajs/src/protocol/requests/produce/v3/request');
  const m = new Module(id);
  m.filename = id;
  m.paths = (require('node:module') as { _nodeModulePaths(p: string): string[] })._nodeModulePaths(require('node:path').dirname(id));
  m.load(id);
  const original = m.exports as (args: ProduceArgs) => { encode(): Promise<{ buffer: Buffer }> };

  const sample = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
  for (const [s, e] of [[0, 1000], [3, 17], [5, 5], [1, 999]]) {
    if (crc32c(sample, s, e) !== kafkajsCrc(sample.subarray(s, e)) >>> 0) throw new Error(`crc32c differs on [${s}, ${e})`);
  }

  const cases: ProduceArgs[] = [
    {
      acks: -1,
      timeout: 30000,
      producerId: Long.fromValue(4321),
      producerEpoch: 3,
      topicData: [
        {
          topic: 'insiders.invoice-lines.v1',
          partitions: [
            { partition: 0, firstSequence: 17, messages: [{ key: '17850', value: '{"a":"é £ ü"}' }, { key: null, value: 'x'.repeat(300) }] },
            { partition: 5, firstSequence: 0, messages: Array.from({ length: 200 }, (_, i) => ({ key: `invoice:${i}`, value: Buffer.from(`{"i":${i},"s":"${'y'.repeat(i)}"}`) })) },
          ],
        },
        { topic: 't2', partitions: [{ partition: 1, messages: [{ key: 'k', value: null }] }] },
      ],
    },
    { acks: 1, timeout: 100, transactionalId: 'tx-1', topicData: [{ topic: 'x', partitions: [{ partition: 2, messages: [{ key: '', value: '' }] }] }] },
  ];
  const realNow = Date.now;
  try {
    Date.now = () => 1_700_000_000_123;
    for (const [i, args] of cases.entries()) {
      const expected = (await original(args).encode()).buffer;
      const actual = encodeProduceFast(args, (v) => Long.fromValue(v), () => Object.create(Encoder.prototype), Date.now()).buffer;
      if (!expected.equals(actual)) throw new Error(`fast produce encoding differs from kafkajs in case ${i} (${actual.length} vs ${expected.length} bytes)`);
    }
  } finally {
    Date.now = realNow;
  }
}

if (require.main === module) {
  checkKafkajsFastPath().then(
    () => console.log('kafkajs fast path: identical bytes'),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
