/**
 * The partition of a keyed message as the Java client's (and kafkajs') default partitioner computes it:
 * `(murmur2(utf8(key)) & 0x7fffffff) % partitions`. Same result as kafkajs' `Partitioners.DefaultPartitioner`, so
 * other clients agree on where a customer's events live, but in 32-bit integer arithmetic (`Math.imul`) instead
 * of kafkajs' Long objects — and `KeyPartitioner` remembers the partition of keys it has seen (a replay has a few
 * thousand customers for half a million events).
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // the last 1..3 bytes (Java's switch falls through: byte 2, then 1, then 0 and a multiply)
  const rest = length & 3;
  if (rest === 3) h ^= data[end + 2] << 16;
  if (rest >= 2) h ^= data[end + 1] << 8;
  if (rest >= 1) {
    h ^= data[end];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionOfKey(key: string | Uint8Array, partitions: number): number {
  return (murmur2(typeof key === 'string' ? Buffer.from(key, 'utf8') : key) & 0x7fffffff) % partitions;
}

/** `partitionOfKey` with a bounded memory of the keys seen, per partition count. */
export class KeyPartitioner {
  private readonly cache = new Map<string, number>();
  private partitions = 0;

  constructor(private readonly maxKeys = 100_000) {}

  partition(key: string, partitions: number): number {
    if (partitions !== this.partitions) {
      this.cache.clear();
      this.partitions = partitions;
    }
    let p = this.cache.get(key);
    if (p === undefined) {
      p = partitionOfKey(key, partitions);
      if (this.cache.size >= this.maxKeys) this.cache.clear();
      this.cache.set(key, p);
    }
    return p;
  }
}
