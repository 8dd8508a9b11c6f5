/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * A proposal for the KafkaBus (libs/messaging), measured by `bench/ingest.ts --fast-path`: drop-in replacements of
 * three kafkajs 2.2.4 internals that dominate the producer's CPU time with many small messages.
 *
 *  1. `producer/groupMessagesPerPartition`: kafkajs copies the partition's array for every message
 *     (`[...current, message]`), quadratic in the messages per partition of one send.
 *  2. `protocol/requests/produce/v3/request` (also behind v4..v7): kafkajs builds every record in a fresh
 *     `Encoder` — a zero-filled 512-byte Buffer.alloc per message — then copies record → batch → partition →
 *     topic → request through doubling buffers, with Long arithmetic per record and a byte-at-a-time CRC32C.
 *     Here an uncompressed request is sized first and written once into one buffer, CRC32C slicing-by-8.
 *     Compressed requests and messages with headers or own timestamps take the original path.
 *  3. `protocol/request`: frames the request (size + header) with one copy instead of two.
 *
 * Must run before kafkajs is first required (it replaces entries of the module cache). The spec beside this file
 * checks byte-for-byte identical requests against the original encoders.
 */

interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}

interface ProduceMessage {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, unknown>;
  timestamp?: number | string;
}

interface ProducePartition {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: LongLike | number;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: ProducePartition[] }[];
}

interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse: () => boolean;
  encode: () => Promise<EncoderLike>;
}

// CRC32C (Castagnoli), slicing-by-8.
const CRC_TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[0][n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
  return t;
})();

export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[buf[i + 4]] ^ t2[buf[i + 5]] ^ t1[buf[i + 6]] ^ t0[buf[i + 7]];
  }
  for (; i < end; i++) crc = t0[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const zigzag = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;

function varintSize(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

function writeVarint(buf: Buffer, at: number, u: number): number {
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[at++] = u;
  return at;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? -1 : typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v));

function writeBytes(buf: Buffer, at: number, v: Buffer | string, length: number): number {
  if (typeof v === 'string') buf.write(v, at, length, 'utf8');
  else if (Buffer.isBuffer(v)) v.copy(buf, at);
  else buf.write(String(v), at, length, 'utf8');
  return at + length;
}

function writeInt64(buf: Buffer, at: number, high: number, low: number): number {
  buf.writeInt32BE(high, at);
  buf.writeInt32BE(low, at + 4);
  return at + 8;
}

function canEncodeFast(args: ProduceArgs): boolean {
  if ((args.compression ?? 0) !== 0) return false;
  for (const t of args.topicData) {
    for (const p of t.partitions) {
      if (p.messages.length > 0x3fffffff) return false;
      for (const m of p.messages) {
        if (m.timestamp != null) return false;
        if (m.headers && Object.keys(m.headers).length > 0) return false;
      }
    }
  }
  return true;
}

/** The uncompressed Produce request body (v3..v7 share it), written once into an exactly sized buffer. */
export function encodeProduceFast(args: ProduceArgs, toLong: (v: unknown) => LongLike, newEncoder: () => EncoderLike, now = Date.now()): EncoderLike {
  const transactionalId = args.transactionalId ?? null;
  const producerId = toLong(args.producerId ?? -1);
  const producerEpoch = args.producerEpoch ?? 0;
  const nowLong = toLong(now);
  const txLength = transactionalId === null ? 0 : Buffer.byteLength(transactionalId);
  let total = 2 + txLength + 2 + 4 + 4;
  const sizes: { keys: Int32Array; values: Int32Array; body: number }[][] = [];
  for (const t of args.topicData) {
    total += 2 + Buffer.byteLength(t.topic) + 4;
    const perPartition = [];
    for (const p of t.partitions) {
      const n = p.messages.length;
      const keys = new Int32Array(n);
      const values = new Int32Array(n);
      let body = 36 + 4; // batch header after the CRC (attributes .. first sequence), and the record count
      for (let i = 0; i < n; i++) {
        const m = p.messages[i];
        const k = (keys[i] = byteLength(m.key));
        const v = (values[i] = byteLength(m.value));
        const recordBody = 1 + 1 + varintSize(zigzag(i)) + varintSize(zigzag(k)) + Math.max(k, 0) + varintSize(zigzag(v)) + Math.max(v, 0) + 1;
        body += varintSize(zigzag(recordBody)) + recordBody;
      }
      perPartition.push({ keys, values, body });
      total += 4 + 4 + 8 + 4 + 4 + 1 + 4 + body;
    }
    sizes.push(perPartition);
  }

  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  if (transactionalId === null) at = buf.writeInt16BE(-1, at);
  else {
    at = buf.writeInt16BE(txLength, at);
    at += buf.write(transactionalId, at, txLength, 'utf8');
  }
  at = buf.writeInt16BE(args.acks, at);
  at = buf.writeInt32BE(args.timeout, at);
  at = buf.writeInt32BE(args.topicData.length, at);
  args.topicData.forEach((t, ti) => {
    const topicLength = Buffer.byteLength(t.topic);
    at = buf.writeInt16BE(topicLength, at);
    at += buf.write(t.topic, at, topicLength, 'utf8');
    at = buf.writeInt32BE(t.partitions.length, at);
    t.partitions.forEach((p, pi) => {
      const { keys, values, body } = sizes[ti][pi];
      const batchLength = 4 + 1 + 4 + body;
      at = buf.writeInt32BE(p.partition, at);
      at = buf.writeInt32BE(8 + 4 + batchLength, at);
      at = writeInt64(buf, at, 0, 0); // first offset
      at = buf.writeInt32BE(batchLength, at);
      at = buf.writeInt32BE(0, at); // partition leader epoch
      at = buf.writeInt8(2, at); // magic
      const crcAt = at;
      at += 4;
      const bodyStart = at;
      at = buf.writeInt16BE(transactionalId ? 16 : 0, at); // attributes: no compression, create time, transactional bit
      at = buf.writeInt32BE(p.messages.length - 1, at); // last offset delta
      at = writeInt64(buf, at, nowLong.getHighBits(), nowLong.getLowBits()); // first timestamp
      at = writeInt64(buf, at, nowLong.getHighBits(), nowLong.getLowBits()); // max timestamp
      at = writeInt64(buf, at, producerId.getHighBits(), producerId.getLowBits());
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(p.messages.length, at);
      for (let i = 0; i < p.messages.length; i++) {
        const m = p.messages[i];
        const k = keys[i];
        const v = values[i];
        const recordBody = 1 + 1 + varintSize(zigzag(i)) + varintSize(zigzag(k)) + Math.max(k, 0) + varintSize(zigzag(v)) + Math.max(v, 0) + 1;
        at = writeVarint(buf, at, zigzag(recordBody));
        buf[at++] = 0; // attributes
        buf[at++] = 0; // timestamp delta 0 (zigzag varint)
        at = writeVarint(buf, at, zigzag(i)); // offset delta
        at = writeVarint(buf, at, zigzag(k));
        if (k > 0) at = writeBytes(buf, at, m.key!, k);
        at = writeVarint(buf, at, zigzag(v));
        if (v > 0) at = writeBytes(buf, at, m.value!, v);
        buf[at++] = 0; // no headers
      }
      buf.writeUInt32BE(crc32c(buf, bodyStart, at), crcAt);
    });
  });
  if (at !== total) throw new Error(`fast produce encoding wrote ${at} of ${total} bytes`);
  const encoder = newEncoder();
  encoder.buf = buf;
  encoder.offset = total;
  return encoder;
}

let installed = false;

export function installKafkajsFastPath(): void {
  if (installed) return;
  if (require.cache[require.resolve('kafkajs/src/producer/sendMessages')]) {
    throw new Error('installKafkajsFastPath must run before kafkajs is loaded');
  }
  installed = true;
  const Encoder = require('kafkajs/src/protocol/encoder') as { prototype: object };
  const Long = require('kafkajs/src/utils/long') as { fromValue(v: unknown): LongLike };
  const newEncoder = () => Object.create(Encoder.prototype) as EncoderLike;
  const toLong = (v: unknown) => Long.fromValue(v);

  const produceId = require.resolve('kafkajs/src/protocol/requests/produce/v3/request');
  const originalProduce = require(produceId) as (args: ProduceArgs) => ProduceRequest;
  replace(produceId, (args: ProduceArgs): ProduceRequest => {
    const request = originalProduce(args);
    if (!canEncodeFast(args)) return request;
    return { ...request, encode: async () => encodeProduceFast(args, toLong, newEncoder) };
  });

  replace(require.resolve('kafkajs/src/protocol/request'), async ({ correlationId, clientId, request }: { correlationId: number; clientId: string | null; request: ProduceRequest }) => {
    const payload = await request.encode();
    const clientLength = clientId == null ? -1 : Buffer.byteLength(clientId);
    const size = 2 + 2 + 4 + 2 + Math.max(clientLength, 0) + payload.offset;
    const buf = Buffer.allocUnsafe(4 + size);
    let at = buf.writeInt32BE(size, 0);
    at = buf.writeInt16BE(request.apiKey, at);
    at = buf.writeInt16BE(request.apiVersion, at);
    at = buf.writeInt32BE(correlationId, at);
    at = buf.writeInt16BE(clientLength, at);
    if (clientLength > 0) at += buf.write(clientId!, at, clientLength, 'utf8');
    payload.buf.copy(buf, at, 0, payload.offset);
    const encoder = newEncoder();
    encoder.buf = buf;
    encoder.offset = buf.length;
    return encoder;
  });

  replace(require.resolve('kafkajs/src/producer/groupMessagesPerPartition'), ({ topic, partitionMetadata, messages, partitioner }: {
    topic: string;
    partitionMetadata: unknown[];
    messages: unknown[];
    partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
  }) => {
    const result: Record<number, unknown[]> = {};
    if (partitionMetadata.length === 0) return result;
    for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
    return result;
  });
}

function replace(id: string, exports: unknown): void {
  const Module = require('node:module') as { new (id: string): NodeJS.Module };
  const m = new Module(id);
  m.filename = id;
  m.loaded = true;
  m.exports = exports;
  require.cache[id] = m;
}
