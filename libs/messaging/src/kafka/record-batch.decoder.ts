/**
 * Decoding of an uncompressed Kafka v2 record batch in a fetch response, with the same result as kafkajs 2.2.4's
 * `protocol/recordBatch/v0/decoder` (record-batch.decoder.spec.ts compares them), at a fraction of the cost:
 * kafkajs makes a `Decoder` per record, parses the batch's first offset and timestamp from strings into Longs for
 * every record, and rebuilds the headers object once per header. Here offsets and timestamps are plain number
 * arithmetic (BigInt when a value is beyond 2^53), keys and values are views of the fetched buffer as before.
 *
 * Anything else — compressed batches, a batch cut off at the end of the fetch, malformed records — is handed to
 * kafkajs' own decoder untouched (it reads nothing from the fetch decoder before deciding).
 */

import { setImmediate as nextTurn } from 'node:timers/promises';

/** The parts of kafkajs' `Decoder` used here. */
export interface FetchDecoder {
  buffer: Buffer;
  offset: number;
}

export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  batchContext: Record<string, unknown>;
}

export interface DecodedRecordBatch {
  records: DecodedRecord[];
  [field: string]: unknown;
}

export type RecordBatchDecoder = (fetchDecoder: FetchDecoder) => Promise<DecodedRecordBatch>;

const HEADER_BYTES = 61; // first offset .. record count
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const TRANSACTIONAL_MASK = 0x10;
const CONTROL_MASK = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;

/**
 * Records decoded between two yields to the event loop. A fetch response is decoded in one go by kafkajs (each
 * batch awaited, but as a microtask): a producer batch of ~17,000 records held the JavaScript thread for 30–100 ms,
 * and every storage completion of the features consumer with it (bench/features).
 */
export const RECORDS_PER_SLICE = 4_096;

/**
 * Wraps kafkajs' decoder: uncompressed complete batches are decoded here, `recordsPerSlice` records at a time with
 * the event loop let through between slices; everything else by `original`.
 */
export function fastRecordBatchDecoder(original: RecordBatchDecoder, recordsPerSlice = RECORDS_PER_SLICE): RecordBatchDecoder {
  return async (fetchDecoder) => {
    const decoding = startBatch(fetchDecoder);
    if (decoding === undefined) return original(fetchDecoder);
    while (decoding.next < decoding.records.length) {
      if (!decodeRecords(decoding, decoding.next + recordsPerSlice)) return original(fetchDecoder);
      if (decoding.next < decoding.records.length) await nextTurn(); // let the event loop through
    }
    return finishBatch(fetchDecoder, decoding);
  };
}

// read position of the varint readers below (avoids allocating a result per field)
let pos = 0;

/** kafkajs' `readVarInt`, exactly (including its 32-bit arithmetic). */
function varint(buf: Buffer): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buf[pos++];
    result += (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80);
  return (result >>> 1) ^ -(result & 1);
}

/** A zigzag varlong as a number when it fits 7 bytes (exact below 2^49), else as a BigInt. */
function varlong(buf: Buffer): number | bigint {
  const start = pos;
  let result = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = buf[pos++];
    result += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte >= 0x80 && pos - start < 7);
  if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  // longer: redo in BigInt (kafkajs throws beyond 10 bytes; leave that to it)
  pos = start;
  let big = 0n;
  let shift = 0n;
  do {
    if (shift > 63n) throw new RangeError('varlong longer than 10 bytes');
    byte = buf[pos++];
    big += BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte >= 0x80);
  big = BigInt.asUintN(64, big);
  return BigInt.asIntN(64, (big >> 1n) ^ -(big & 1n));
}

/** `base + delta` as kafkajs' Long arithmetic prints it (64-bit wrap-around). */
function plus(base: string, baseNumber: number, delta: number | bigint): string {
  if (typeof delta === 'number' && Number.isSafeInteger(baseNumber)) {
    const sum = baseNumber + delta;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  return BigInt.asIntN(64, BigInt(base) + BigInt(delta)).toString();
}

function exactNumber(decimal: string): number {
  const n = Number(decimal);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** The batch at the fetch decoder's position, or undefined when kafkajs should decode it. */
export function decodeRecordBatch(fetchDecoder: FetchDecoder): DecodedRecordBatch | undefined {
  const decoding = startBatch(fetchDecoder);
  if (decoding === undefined || !decodeRecords(decoding, Infinity)) return undefined;
  return finishBatch(fetchDecoder, decoding);
}

/** A batch being decoded: its header's values, the records so far and where the next one starts. */
interface BatchDecoding {
  buf: Buffer;
  batchEnd: number;
  recordContext: Omit<DecodedRecordBatch, 'records'>;
  batchContext: Record<string, unknown>;
  magicByte: number;
  isControlBatch: boolean;
  firstOffset: string;
  offsetBase: number;
  firstTimestamp: string;
  timestampBase: number;
  maxTimestamp: string;
  appendTime: boolean;
  records: DecodedRecord[];
  /** Index of the next record to decode, and its position in `buf`. */
  next: number;
  at: number;
}

/** The header of the batch at the fetch decoder's position (nothing read from it), or undefined for kafkajs. */
function startBatch(fetchDecoder: FetchDecoder): BatchDecoding | undefined {
  const buf = fetchDecoder.buffer;
  const at = fetchDecoder.offset;
  if (buf.length - at < HEADER_BYTES) return undefined;
  const length = buf.readInt32BE(at + 8);
  const batchEnd = at + 12 + length;
  if (length < HEADER_BYTES - 12 || batchEnd > buf.length) return undefined; // partial: kafkajs throws its own error
  const attributes = buf.readInt16BE(at + 21);
  if ((attributes & COMPRESSION_MASK) !== 0) return undefined;

  const firstOffset = buf.readBigInt64BE(at).toString();
  const firstTimestamp = buf.readBigInt64BE(at + 27).toString();
  const maxTimestamp = buf.readBigInt64BE(at + 35).toString();
  const magicByte = buf.readInt8(at + 16);
  const isControlBatch = (attributes & CONTROL_MASK) > 0;
  const timestampType = (attributes & TIMESTAMP_TYPE_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch: buf.readInt32BE(at + 12),
    inTransaction: (attributes & TRANSACTIONAL_MASK) > 0,
    isControlBatch,
    lastOffsetDelta: buf.readInt32BE(at + 23),
    producerId: buf.readBigInt64BE(at + 43).toString(),
    producerEpoch: buf.readInt16BE(at + 51),
    firstSequence: buf.readInt32BE(at + 53),
    maxTimestamp,
    timestampType,
  };
  const count = buf.readInt32BE(at + 57);
  if (count < -1) return undefined;
  return {
    buf,
    batchEnd,
    recordContext,
    batchContext: { ...recordContext, magicByte },
    magicByte,
    isControlBatch,
    firstOffset,
    offsetBase: exactNumber(firstOffset),
    firstTimestamp,
    timestampBase: exactNumber(firstTimestamp),
    maxTimestamp,
    appendTime: timestampType === LOG_APPEND_TIME && maxTimestamp !== '',
    records: new Array<DecodedRecord>(count === -1 ? 0 : count),
    next: 0,
    at: at + HEADER_BYTES,
  };
}

/** Decodes records up to index `until` (exclusive); false when one is malformed (kafkajs then decodes the batch). */
function decodeRecords(d: BatchDecoding, until: number): boolean {
  const { buf, batchEnd, records, magicByte, isControlBatch, batchContext, firstOffset, offsetBase, firstTimestamp, timestampBase, maxTimestamp, appendTime } = d;
  const end = Math.min(until, records.length);
  pos = d.at; // the shared read position: another batch may have been decoded since this one's last slice
  try {
    for (let i = d.next; i < end; i++) {
      const recordLength = varint(buf);
      const recordEnd = pos + recordLength;
      if (recordLength < 0 || recordEnd > batchEnd) return false;
      const recordAttributes = buf.readInt8(pos++);
      const timestampDelta = varlong(buf);
      const offsetDelta = varint(buf);
      const key = bytes(buf, recordEnd);
      const value = bytes(buf, recordEnd);
      const headers = readHeaders(buf, recordEnd);
      if (headers === undefined || pos > recordEnd) return false;
      records[i] = {
        magicByte,
        attributes: recordAttributes,
        timestamp: appendTime ? maxTimestamp : plus(firstTimestamp, timestampBase, timestampDelta),
        offset: plus(firstOffset, offsetBase, offsetDelta),
        key,
        value,
        headers,
        isControlRecord: isControlBatch,
        batchContext,
      };
      pos = recordEnd;
    }
  } catch {
    return false; // malformed: kafkajs' decoder says what it makes of it
  }
  d.next = end;
  d.at = pos;
  return true;
}

function finishBatch(fetchDecoder: FetchDecoder, d: BatchDecoding): DecodedRecordBatch {
  fetchDecoder.offset = d.batchEnd;
  return { ...d.recordContext, records: d.records };
}

/** kafkajs' `readVarIntBytes` (null for length -1), as a view; bounded by the record's end. */
function bytes(buf: Buffer, end: number): Buffer | null {
  const length = varint(buf);
  if (length === -1) return null;
  if (length < -1 || pos + length > end) throw new RangeError('record field beyond the record');
  const view = buf.subarray(pos, pos + length);
  pos += length;
  return view;
}

/**
 * Headers as kafkajs merges them: one value per key, an array when a key repeats (kafkajs reads `obj[key]`, so
 * inherited names such as `constructor` merge with the inherited value; kept as is for identical results).
 */
function readHeaders(buf: Buffer, end: number): DecodedRecord['headers'] | undefined {
  const count = varint(buf);
  if (count < -1) return undefined;
  const headers: DecodedRecord['headers'] = {};
  for (let h = 0; h < count; h++) {
    const keyBytes = bytes(buf, end);
    const key = keyBytes === null ? 'null' : keyBytes.toString('utf8');
    const value = bytes(buf, end);
    const existing: unknown = headers[key];
    const merged = existing === undefined ? value : Array.isArray(existing) ? existing.concat([value]) : [existing as Buffer | null, value];
    Object.defineProperty(headers, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return headers;
}
