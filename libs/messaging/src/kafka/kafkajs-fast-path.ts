/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs internals are reached by module path on purpose */
import { canEncodeProduceRequest, encodeProduceRequest, type ProduceRequestArgs } from './produce-request.encoder';
import { fastRecordBatchDecoder, type RecordBatchDecoder } from './record-batch.decoder';

/**
 * Replaces three kafkajs internals that dominate a producer's CPU time with many small messages by equivalent,
 * faster code. Only for the kafkajs version whose internals this was written and checked against: any other
 * version keeps stock kafkajs (and KafkaBus logs a warning), so an upgrade cannot silently break encoding.
 *
 *  1. Produce request body (`protocol/requests/produce`, v3..v7): `encodeProduceRequest` writes the request once
 *     into an exactly sized buffer — same bytes as kafkajs (produce-request.encoder.spec.ts). Requests it does not
 *     support (compression, headers, message timestamps) keep kafkajs' encoder. Installed by wrapping the
 *     `protocol` lookup of the exported Produce definition, which kafkajs calls per request: works whenever it is
 *     installed.
 *  2. `producer/groupMessagesPerPartition`: kafkajs copies a partition's array for every message
 *     (`[...current, message]`), quadratic in the messages per partition of one send (~1 CPU-s per million
 *     messages in chunks of 2,048). Replaced by a linear grouping with the same result.
 *  3. `protocol/request` (framing: size + header + body): one copy into an exactly sized buffer instead of two
 *     copies through zero-filled doubling buffers.
 *  4. `protocol/recordBatch/v0/decoder` (consumer side): uncompressed record batches of a fetch response are
 *     decoded without a `Decoder` and Long arithmetic per record (record-batch.decoder.ts, same result as kafkajs).
 *  (2), (3) and (4) are bound by kafkajs modules when they load, so they are replaced only when this runs before
 *  those modules load (libs/messaging imports this before kafkajs); otherwise they stay stock
 *  (`kafkajsFastPathStatus()`).
 */
export const KAFKAJS_FAST_PATH_VERSION = '2.2.4';

export interface KafkajsFastPathStatus {
  /** The installed kafkajs version. */
  kafkajsVersion: string;
  /** Produce requests are encoded by `encodeProduceRequest` (when they qualify). */
  produceEncoder: boolean;
  /** Linear grouping of messages per partition. */
  grouping: boolean;
  /** One-copy request framing. */
  framing: boolean;
  /** Record batch decoding of fetch responses. */
  fetchDecoder: boolean;
  /** Why something is not installed, if so. */
  note?: string;
}

interface EncoderLike {
  buf: Buffer;
  offset: number;
  /** The encoded bytes (kafkajs' `Encoder#buffer`). */
  readonly buffer: Buffer;
}

interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  encode: () => Promise<EncoderLike>;
}

interface ProduceDefinition {
  versions: string[];
  protocol: (args: { version: number }) => (args: ProduceRequestArgs) => { request: ProduceRequest; response: unknown };
}

const INSTALLED = Symbol.for('insiders.kafkajs-fast-path');

let status: KafkajsFastPathStatus | undefined;

/** What is installed (installs on first call). */
export function kafkajsFastPathStatus(): KafkajsFastPathStatus {
  return (status ??= install());
}

/** Installs the fast path (idempotent); see the module comment. */
export function installKafkajsFastPath(): KafkajsFastPathStatus {
  return kafkajsFastPathStatus();
}

function install(): KafkajsFastPathStatus {
  const kafkajsVersion = (require('kafkajs/package.json') as { version: string }).version;
  if (kafkajsVersion !== KAFKAJS_FAST_PATH_VERSION) {
    return {
      kafkajsVersion,
      produceEncoder: false,
      grouping: false,
      framing: false,
      fetchDecoder: false,
      note: `kafkajs ${kafkajsVersion} is not ${KAFKAJS_FAST_PATH_VERSION}, the version the fast path was checked against: stock kafkajs encoding (slower)`,
    };
  }
  // (2) and (3) first: they only take effect if the modules that bind them have not been loaded yet.
  const early = !isLoaded('kafkajs/src/producer/sendMessages') && !isLoaded('kafkajs/src/network/connection');
  if (early) {
    replaceExports('kafkajs/src/producer/groupMessagesPerPartition', groupMessagesPerPartition);
    replaceExports('kafkajs/src/protocol/request', frameRequest);
  }
  // fetch responses load their message decoding lazily (first fetch), usually after this
  const fetchDecoder = !isLoaded('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
  if (fetchDecoder) {
    const original = require('kafkajs/src/protocol/recordBatch/v0/decoder') as RecordBatchDecoder & { [INSTALLED]?: true };
    if (!original[INSTALLED]) replaceExports('kafkajs/src/protocol/recordBatch/v0/decoder', fastRecordBatchDecoder(original));
  }
  const produce = require('kafkajs/src/protocol/requests/produce') as ProduceDefinition & { [INSTALLED]?: true };
  if (!produce[INSTALLED]) {
    const protocol = produce.protocol;
    produce.protocol = ({ version }) => {
      const build = protocol({ version });
      if (version < 3) return build;
      return (args) => {
        const built = build(args);
        if (!canEncodeProduceRequest(args)) return built;
        const encode = async () => toEncoder(encodeProduceRequest(args));
        return { ...built, request: { ...built.request, encode } };
      };
    };
    produce[INSTALLED] = true;
  }
  return {
    kafkajsVersion,
    produceEncoder: true,
    grouping: early,
    framing: early,
    fetchDecoder,
    ...(early && fetchDecoder ? {} : { note: 'kafkajs was loaded before the fast path: stock message grouping, request framing or fetch decoding' }),
  };
}

/** kafkajs' `groupMessagesPerPartition`, linear: `{ [partition]: messages in order }`. */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string;
  partitionMetadata: unknown[];
  messages: M[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: M }) => number;
}): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) (result[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return result;
}

/** kafkajs' `protocol/request`: size, api key, api version, correlation id, client id, body — one copy. */
export async function frameRequest({
  correlationId,
  clientId,
  request,
}: {
  correlationId: number;
  clientId: string | null;
  request: { apiKey: number; apiVersion: number; encode: () => Promise<EncoderLike> };
}): Promise<EncoderLike> {
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
  buf.set(payload.buf.subarray(0, payload.offset), at);
  return toEncoder(buf);
}

let encoderPrototype: object | undefined;

/** A kafkajs `Encoder` holding `buf` (what request encoders return and the connection writes). */
function toEncoder(buf: Buffer): EncoderLike {
  encoderPrototype ??= (require('kafkajs/src/protocol/encoder') as { prototype: object }).prototype;
  const encoder = Object.create(encoderPrototype) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = buf.length;
  return encoder;
}

function isLoaded(request: string): boolean {
  return require.cache[require.resolve(request)] !== undefined;
}

/**
 * Loads a module and swaps its exports, so that modules loaded later get the replacement. (Setting the exports of
 * the loaded module rather than a new cache entry works under jest too, whose `require.cache` is read-only.)
 */
function replaceExports(request: string, exports: (...args: never[]) => unknown): void {
  const id = require.resolve(request);
  const current = require(id) as { [INSTALLED]?: true };
  if (current[INSTALLED]) return; // replaced already (by another copy of this module)
  const loaded = require.cache[id];
  if (!loaded) throw new Error(`${request} is not in the module cache after loading`);
  loaded.exports = Object.assign(exports, { [INSTALLED]: true });
}
