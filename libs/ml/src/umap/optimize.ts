import { Random } from '../core/random';

export interface LayoutProblem {
  /** n x dim, updated in place. */
  embedding: Float64Array;
  n: number;
  dim: number;
  /** Edges sorted by head (as read from a CSR graph row by row). */
  head: Int32Array;
  tail: Int32Array;
  epochsPerSample: Float64Array;
  a: number;
  b: number;
  nEpochs: number;
  gamma: number;
  initialAlpha: number;
  negativeSampleRate: number;
  /** Evaluate the repulsive kernel with Math.pow instead of the interpolated table (slower, for reference). */
  exactKernel?: boolean;
}

/** Table spacing in embedding distance and range: 1/128 up to distance 128. */
const TABLE_STEP = 128;
const TABLE_MAX = 128;
/** Below this distance the repulsive coefficient bends too fast for linear interpolation: evaluated exactly. */
const TABLE_MIN = 0.5;
/** Attraction table: step 1/1024 in distance up to 4 (neighbours are close), exact below 0.05 and beyond. */
const ATT_STEP = 1024;
const ATT_MAX = 4;
const ATT_MIN = 0.05;

/**
 * -2ab d^2b / (a d^2b + 1) on a uniform grid in d (the attractive coefficient times d²), linearly interpolated:
 * relative error below 1e-4 on [0.05, 4).
 */
export function attractionTable(a: number, b: number): Float64Array {
  const size = ATT_STEP * ATT_MAX + 2;
  const t = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const pb = Math.pow((i / ATT_STEP) ** 2, b);
    t[i] = (-2 * a * b * pb) / (a * pb + 1);
  }
  return t;
}

/**
 * The repulsive coefficient 2γb / ((0.001 + d²)(a d^2b + 1)) tabulated on a uniform grid in d (not d²), linearly
 * interpolated: relative error below 2e-4 for d >= 0.5 (exact below and beyond the table), versus 50-90 ns per
 * Math.pow in V8 — the repulsive samples are ~5/6 of all SGD work.
 */
export function repulsionTable(a: number, b: number, gamma: number): Float64Array {
  const size = TABLE_STEP * TABLE_MAX + 2;
  const t = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const d2 = (i / TABLE_STEP) ** 2;
    t[i] = (2 * gamma * b) / ((0.001 + d2) * (a * Math.pow(d2, b) + 1));
  }
  return t;
}

/**
 * A layout split into vertex shards: shard s owns the vertices [vertexBounds[s], vertexBounds[s+1]) and the edges
 * whose head is one of them, [edgeBounds[s], edgeBounds[s+1]). Everything a shard needs is here, in arrays that may
 * live in SharedArrayBuffers so that shards run on different threads. Coordinates are float32 during the epochs (as
 * umap-learn stores them): arithmetic stays in doubles, the table of points is half the size.
 *
 * Rules that make the result independent of how shards are spread over threads: a shard reads and writes its own
 * vertices live; another shard's vertex is read as published at the end of the previous epoch (`snapshot`), and an
 * attractive move of it is queued in `pending` and applied by its owner at the end of the epoch. With one shard this
 * is exactly umap-learn's sequential optimiser.
 */
export interface ShardedLayout {
  readonly n: number;
  readonly dim: number;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly epochsPerSample: Float64Array;
  readonly a: number;
  readonly b: number;
  readonly nEpochs: number;
  readonly gamma: number;
  readonly initialAlpha: number;
  readonly negativeSampleRate: number;
  readonly exactKernel: boolean;
  /** n x dim live coordinates (each shard writes only its own vertices). */
  readonly embedding: Float32Array;
  /** n x dim: coordinates as published at the end of the previous epoch (empty with one shard). */
  readonly snapshot: Float32Array;
  /** shards x n x dim: moves of other shards' vertices queued by each shard during the epoch. */
  readonly pending: Float64Array;
  readonly vertexBounds: Int32Array;
  readonly edgeBounds: Int32Array;
  /** Random state of each shard's negative sampling. */
  readonly seeds: Int32Array;
}

/**
 * Splits the problem into `shards` contiguous vertex ranges with about equal SGD work (each edge costs in
 * proportion to how often it is sampled) and seeds one random stream per shard from `rng`. `share` allocates the
 * arrays as SharedArrayBuffers (for threads).
 */
export function shardLayout(p: LayoutProblem, shards: number, rng: Random, share = false): ShardedLayout {
  const { n, dim, head } = p;
  const m = head.length;
  const f32 = (len: number): Float32Array => new Float32Array(share ? new SharedArrayBuffer(4 * len) : new ArrayBuffer(4 * len));
  const f64 = (len: number): Float64Array => new Float64Array(share ? new SharedArrayBuffer(8 * len) : new ArrayBuffer(8 * len));
  const i32 = (a: ArrayLike<number>): Int32Array => {
    const out = new Int32Array(share ? new SharedArrayBuffer(4 * a.length) : new ArrayBuffer(4 * a.length));
    out.set(a);
    return out;
  };
  for (let e = 1; e < m; e++) if (head[e]! < head[e - 1]!) throw new Error('UMAP layout: edges must be sorted by head');
  // cut where the cumulative sampling work reaches s / shards of the total, at a vertex boundary
  let total = 0;
  for (let e = 0; e < m; e++) total += 1 / p.epochsPerSample[e]!;
  const vertexBounds = [0];
  const edgeBounds = [0];
  let acc = 0;
  let e = 0;
  for (let s = 1; s < shards; s++) {
    while (e < m && acc < (total * s) / shards) acc += 1 / p.epochsPerSample[e++]!;
    while (e < m && e > 0 && head[e] === head[e - 1]) acc += 1 / p.epochsPerSample[e++]!;
    vertexBounds.push(e < m ? head[e]! : n);
    edgeBounds.push(e);
  }
  vertexBounds.push(n);
  edgeBounds.push(m);
  const embedding = f32(n * dim);
  embedding.set(p.embedding);
  const snapshot = f32(shards > 1 ? n * dim : 0);
  if (shards > 1) snapshot.set(embedding);
  return {
    n,
    dim,
    head: share ? i32(p.head) : p.head,
    tail: share ? i32(p.tail) : p.tail,
    epochsPerSample: share ? copyShared(p.epochsPerSample) : p.epochsPerSample,
    a: p.a,
    b: p.b,
    nEpochs: p.nEpochs,
    gamma: p.gamma,
    initialAlpha: p.initialAlpha,
    negativeSampleRate: p.negativeSampleRate,
    exactKernel: p.exactKernel === true,
    embedding,
    snapshot,
    pending: f64(shards > 1 ? shards * n * dim : 0),
    vertexBounds: i32(vertexBounds),
    edgeBounds: i32(edgeBounds),
    seeds: i32(Array.from({ length: shards }, () => Math.floor(rng.next() * 4294967296) | 0)),
  };
}

function copyShared(a: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * One shard's part of the SGD (umap-learn's optimize_layout_euclidean): per epoch every own edge due for sampling
 * pulls its endpoints together (attractive gradient of 1 / (1 + a d^2b)), then pushes the head away from
 * negativeSampleRate x (epochs elapsed) random vertices (repulsive gradient with the 0.001 offset); gradients
 * clipped to ±4, learning rate decaying linearly. Vertex sampling uses the shard's seeded stream, so the result is a
 * pure function of the layout. Call `edges(e)`; once every shard has done its edges of epoch e, `publish()`; once
 * every shard has published, the next epoch.
 */
export class LayoutShard {
  private readonly lo: number;
  private readonly hi: number;
  private readonly e0: number;
  private readonly e1: number;
  private readonly epochOfNextSample: Float64Array;
  private readonly epochsPerNegativeSample: Float64Array;
  private readonly epochOfNextNegativeSample: Float64Array;
  private readonly rep: Float64Array;
  private readonly att: Float64Array;
  private readonly shards: number;
  private state: number;

  constructor(
    private readonly L: ShardedLayout,
    readonly shard: number,
  ) {
    this.shards = L.vertexBounds.length - 1;
    this.lo = L.vertexBounds[shard]!;
    this.hi = L.vertexBounds[shard + 1]!;
    this.e0 = L.edgeBounds[shard]!;
    this.e1 = L.edgeBounds[shard + 1]!;
    const eps = L.epochsPerSample.subarray(this.e0, this.e1);
    this.epochOfNextSample = Float64Array.from(eps);
    this.epochsPerNegativeSample = eps.map((e) => e / L.negativeSampleRate);
    this.epochOfNextNegativeSample = Float64Array.from(this.epochsPerNegativeSample);
    this.rep = repulsionTable(L.a, L.b, L.gamma);
    this.att = attractionTable(L.a, L.b);
    this.state = L.seeds[shard]!;
  }

  /** Learning rate during epoch e. */
  private alpha(epoch: number): number {
    return this.L.initialAlpha * (epoch === 0 ? 1 : 1 - (epoch - 1) / this.L.nEpochs);
  }

  /** Phase 1 of epoch e: the shard's edges (positive and negative samples). */
  edges(epoch: number): void {
    const { n, dim, head, tail, a, b, gamma, embedding: emb, snapshot: snap, pending } = this.L;
    const { lo, hi, e0, e1, rep, att, epochOfNextSample, epochsPerNegativeSample, epochOfNextNegativeSample } = this;
    const alpha = this.alpha(epoch);
    const exact = this.L.exactKernel;
    const repLo = exact ? Infinity : TABLE_MIN * TABLE_STEP;
    const repHi = TABLE_MAX * TABLE_STEP;
    const attLo = exact ? Infinity : ATT_MIN * ATT_STEP;
    const attHi = ATT_MAX * ATT_STEP;
    const twoAB = 2 * a * b;
    const twoGammaB = 2 * gamma * b;
    const pendOff = this.shard * n * dim;
    const diff = new Float64Array(dim);
    const dim4 = dim - (dim % 4);
    // mulberry32 inlined: the negative-sample draws are the hottest call
    let state = this.state;
    for (let e = e0; e < e1; e++) {
      const le = e - e0;
      if (epochOfNextSample[le]! > epoch) continue;
      const jo = head[e]! * dim;
      const tv = tail[e]!;
      const tailOwn = tv >= lo && tv < hi;
      const ko = tv * dim;
      const tArr = tailOwn ? emb : snap;
      let d2 = 0;
      for (let t = 0; t < dim; t++) {
        const v = emb[jo + t]! - tArr[ko + t]!;
        diff[t] = v;
        d2 += v * v;
      }
      if (d2 > 0) {
        const u = Math.sqrt(d2) * ATT_STEP;
        let q: number;
        if (u >= attLo && u < attHi) {
          const iu = u | 0;
          const t0 = att[iu]!;
          q = t0 + (u - iu) * (att[iu + 1]! - t0);
        } else {
          const pb = Math.exp(b * Math.log(d2));
          q = (-twoAB * pb) / (a * pb + 1);
        }
        const coeff = q / d2;
        for (let t = 0; t < dim; t++) {
          let g = coeff * diff[t]!;
          g = g > 4 ? 4 : g < -4 ? -4 : g;
          emb[jo + t] += g * alpha;
          if (tailOwn) emb[ko + t] -= g * alpha;
          else pending[pendOff + ko + t] -= g * alpha;
        }
      }
      epochOfNextSample[le] += this.L.epochsPerSample[e]!;
      const nNeg = Math.floor((epoch - epochOfNextNegativeSample[le]!) / epochsPerNegativeSample[le]!);
      for (let s = 0; s < nNeg; s++) {
        let z = (state = (state + 0x6d2b79f5) | 0);
        z = Math.imul(z ^ (z >>> 15), z | 1);
        z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
        const r = Math.floor((((z ^ (z >>> 14)) >>> 0) / 4294967296) * n);
        const src = r >= lo && r < hi ? emb : snap;
        const ro = r * dim;
        // four accumulators (faster in V8 for wide embeddings); the same sum for dim < 4
        let d0 = 0;
        let d1 = 0;
        let d2n = 0;
        let d3 = 0;
        let t = 0;
        for (; t < dim4; t += 4) {
          const v0 = emb[jo + t]! - src[ro + t]!;
          const v1 = emb[jo + t + 1]! - src[ro + t + 1]!;
          const v2 = emb[jo + t + 2]! - src[ro + t + 2]!;
          const v3 = emb[jo + t + 3]! - src[ro + t + 3]!;
          diff[t] = v0;
          diff[t + 1] = v1;
          diff[t + 2] = v2;
          diff[t + 3] = v3;
          d0 += v0 * v0;
          d1 += v1 * v1;
          d2n += v2 * v2;
          d3 += v3 * v3;
        }
        for (; t < dim; t++) {
          const v = emb[jo + t]! - src[ro + t]!;
          diff[t] = v;
          d0 += v * v;
        }
        const dn = d0 + d1 + d2n + d3;
        if (dn > 0) {
          const u = Math.sqrt(dn) * TABLE_STEP;
          let coeff: number;
          if (u >= repLo && u < repHi) {
            const iu = u | 0;
            const t0 = rep[iu]!;
            coeff = t0 + (u - iu) * (rep[iu + 1]! - t0);
          } else {
            coeff = twoGammaB / ((0.001 + dn) * (a * Math.pow(dn, b) + 1));
          }
          for (let t = 0; t < dim; t++) {
            let g = coeff * diff[t]!;
            g = g > 4 ? 4 : g < -4 ? -4 : g;
            emb[jo + t] += g * alpha;
          }
        }
      }
      if (nNeg > 0) epochOfNextNegativeSample[le] += nNeg * epochsPerNegativeSample[le]!;
    }
    this.state = state;
  }

  /** Phase 2 of an epoch: applies the moves other shards queued for own vertices and publishes own coordinates. */
  publish(): void {
    if (this.shards === 1) return;
    const { n, dim, embedding: emb, snapshot: snap, pending } = this.L;
    const a = this.lo * dim;
    const b = this.hi * dim;
    for (let o = 0; o < this.shards; o++) {
      if (o === this.shard) continue;
      const off = o * n * dim;
      for (let i = a; i < b; i++) {
        const v = pending[off + i]!;
        if (v !== 0) {
          emb[i] += v;
          pending[off + i] = 0;
        }
      }
    }
    snap.set(emb.subarray(a, b), a);
  }
}

/** Runs every shard in the calling thread, epoch by epoch (the result a threaded run gives too). */
export function runLayoutInline(L: ShardedLayout, onEpoch?: (epoch: number, nEpochs: number) => void): void {
  const shards = Array.from({ length: L.vertexBounds.length - 1 }, (_, s) => new LayoutShard(L, s));
  for (let epoch = 0; epoch < L.nEpochs; epoch++) {
    for (const s of shards) s.edges(epoch);
    for (const s of shards) s.publish();
    onEpoch?.(epoch + 1, L.nEpochs);
  }
}

/** umap-learn's sequential optimiser: one shard, in the calling thread. Updates p.embedding in place. */
export function optimizeLayout(p: LayoutProblem, rng: Random, onEpoch?: (epoch: number, nEpochs: number) => void): void {
  const L = shardLayout(p, 1, rng);
  runLayoutInline(L, onEpoch);
  p.embedding.set(L.embedding);
}
