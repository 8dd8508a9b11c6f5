import { crc32c } from './crc32c';

/**
 * The body of a Kafka Produce request (versions 3 to 7 share it: transactional id, acks, timeout, topics →
 * partitions → one v2 record batch each), written once into an exactly sized buffer.
 *
 * Why: kafkajs 2.2.4 encodes every record in its own `Encoder` (a zero-filled 512-byte buffer per message), copies
 * record → batch → partition → topic → request through doubling buffers, does Long arithmetic per record and
 * computes CRC32C a byte at a time — most of a producer's CPU time with many small messages. This encoder
 * produces the same bytes (the spec compares them with kafkajs' own encoder) for what it supports: uncompressed
 * batches of messages without headers and without their own timestamps (`canEncodeProduceRequest`); anything
 * else stays with kafkajs.
 */

/** A 64-bit integer as kafkajs hands it over: its `Long`, a decimal string (producer ids) or a number. */
export type Int64Like = { getHighBits(): number; getLowBits(): number } | string | number | bigint;

export interface ProduceMessage {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, unknown>;
  timestamp?: number | string;
}

export interface ProducePartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

/** The arguments kafkajs passes to its Produce request builders (`protocol/requests/produce`). */
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: Int64Like;
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: ProducePartitionData[] }[];
}

/** True when `encodeProduceRequest` writes exactly what kafkajs would: no compression, headers or timestamps. */
export function canEncodeProduceRequest(args: ProduceRequestArgs): boolean {
  if ((args.compression ?? 0) !== 0) return false;
  for (const t of args.topicData) {
    for (const p of t.partitions) {
      for (const m of p.messages) {
        if (m.timestamp != null) return false;
        if (m.headers != null) {
          for (const _ in m.headers) return false;
        }
      }
    }
  }
  return true;
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

/** Bytes of a key or value as kafkajs writes it (-1 for null; strings and anything else as UTF-8 text). */
function byteLength(v: Buffer | string | null | undefined): number {
  if (v == null) return -1;
  if (Buffer.isBuffer(v)) return v.length;
  return Buffer.byteLength(typeof v === 'string' ? v : String(v));
}

function writeBytes(buf: Buffer, at: number, v: Buffer | string, length: number): number {
  if (Buffer.isBuffer(v)) buf.set(v, at);
  else buf.write(typeof v === 'string' ? v : String(v), at, length, 'utf8');
  return at + length;
}

function recordBodySize(offsetDelta: number, keyLength: number, valueLength: number): number {
  // attributes, timestamp delta (0), offset delta, key, value, header count (0)
  return (
    1 + 1 + varintSize(zigzag(offsetDelta)) +
    varintSize(zigzag(keyLength)) + Math.max(keyLength, 0) +
    varintSize(zigzag(valueLength)) + Math.max(valueLength, 0) + 1
  );
}

function writeInt64(buf: Buffer, at: number, value: Int64Like): number {
  if (typeof value !== 'object') {
    buf.writeBigInt64BE(BigInt(value), at);
  } else {
    buf.writeInt32BE(value.getHighBits(), at);
    buf.writeInt32BE(value.getLowBits(), at + 4);
  }
  return at + 8;
}

/** Sizes of one partition's keys and values (-1 = null) and of its record batch after the CRC field. */
interface PartitionLayout {
  keys: Int32Array;
  values: Int32Array;
  /** Attributes .. end of the last record: what the CRC covers. */
  body: number;
}

/**
 * Encodes the Produce request body. `now` stamps the batches (kafkajs uses `Date.now()` per partition when the
 * messages carry no timestamps). Call only when `canEncodeProduceRequest(args)`.
 */
export function encodeProduceRequest(args: ProduceRequestArgs, now = Date.now()): Buffer {
  const transactionalId = args.transactionalId ?? null;
  const producerId = args.producerId ?? -1;
  const producerEpoch = args.producerEpoch ?? 0;
  const txLength = transactionalId === null ? 0 : Buffer.byteLength(transactionalId);

  let total = 2 + txLength + 2 + 4 + 4;
  const layouts: PartitionLayout[][] = [];
  for (const t of args.topicData) {
    total += 2 + Buffer.byteLength(t.topic) + 4;
    const perPartition: PartitionLayout[] = [];
    for (const p of t.partitions) {
      const n = p.messages.length;
      const keys = new Int32Array(n);
      const values = new Int32Array(n);
      let body = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; // attributes .. first sequence, record count
      for (let i = 0; i < n; i++) {
        const m = p.messages[i];
        const k = (keys[i] = byteLength(m.key));
        const v = (values[i] = byteLength(m.value));
        const recordBody = recordBodySize(i, k, v);
        body += varintSize(zigzag(recordBody)) + recordBody;
      }
      perPartition.push({ keys, values, body });
      // partition, record set size, first offset, batch length, leader epoch, magic, crc, body
      total += 4 + 4 + 8 + 4 + 4 + 1 + 4 + body;
    }
    layouts.push(perPartition);
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
  for (let ti = 0; ti < args.topicData.length; ti++) {
    const t = args.topicData[ti];
    const topicLength = Buffer.byteLength(t.topic);
    at = buf.writeInt16BE(topicLength, at);
    at += buf.write(t.topic, at, topicLength, 'utf8');
    at = buf.writeInt32BE(t.partitions.length, at);
    for (let pi = 0; pi < t.partitions.length; pi++) {
      const p = t.partitions[pi];
      const { keys, values, body } = layouts[ti][pi];
      const batchLength = 4 + 1 + 4 + body; // leader epoch, magic, crc, body
      at = buf.writeInt32BE(p.partition, at);
      at = buf.writeInt32BE(8 + 4 + batchLength, at); // record set size
      at = writeInt64(buf, at, 0); // first offset
      at = buf.writeInt32BE(batchLength, at);
      at = buf.writeInt32BE(0, at); // partition leader epoch
      at = buf.writeInt8(2, at); // magic
      const crcAt = at;
      at += 4;
      const bodyStart = at;
      at = buf.writeInt16BE(transactionalId ? 16 : 0, at); // attributes: no compression, create time, transactional bit
      at = buf.writeInt32BE(p.messages.length - 1, at); // last offset delta
      at = writeInt64(buf, at, now); // first timestamp
      at = writeInt64(buf, at, now); // max timestamp
      at = writeInt64(buf, at, producerId);
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(p.messages.length, at);
      for (let i = 0; i < p.messages.length; i++) {
        const m = p.messages[i];
        const k = keys[i];
        const v = values[i];
        at = writeVarint(buf, at, zigzag(recordBodySize(i, k, v)));
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
    }
  }
  if (at !== total) throw new Error(`produce request encoding wrote ${at} of ${total} bytes`);
  return buf;
}
