import { Random } from '../core/random';

export interface LayoutProblem {
  /** n x dim, updated in place. */
  embedding: Float64Array;
  n: number;
  dim: number;
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
  /**
   * Coordinates are stored as float32 during the epochs by default (as umap-learn does): arithmetic stays in doubles,
   * but the table of points is half the size, which matters for cache misses of the random negative samples at
   * large n. 'float64' keeps full precision.
   */
  storage?: 'float32' | 'float64';
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
 * umap-learn's optimize_layout_euclidean, single-threaded: per epoch every edge due for sampling pulls its endpoints
 * together (attractive gradient of 1 / (1 + a d^2b)), then pushes the head away from negativeSampleRate x (epochs
 * elapsed) random vertices (repulsive gradient with the 0.001 offset); gradients clipped to ±4, learning rate decaying
 * linearly. Vertex sampling uses the seeded generator, so the result is a pure function of input and seed.
 */
export function optimizeLayout(p: LayoutProblem, rng: Random, onEpoch?: (epoch: number, nEpochs: number) => void): void {
  const { n, dim, head, tail, epochsPerSample, a, b, nEpochs, gamma, initialAlpha, negativeSampleRate } = p;
  const emb: Float32Array | Float64Array = p.storage === 'float64' ? p.embedding : Float32Array.from(p.embedding);
  const exact = p.exactKernel === true;
  const rep = repulsionTable(a, b, gamma);
  const att = attractionTable(a, b);
  const repLo = exact ? Infinity : TABLE_MIN * TABLE_STEP;
  const repHi = TABLE_MAX * TABLE_STEP;
  const attLo = exact ? Infinity : ATT_MIN * ATT_STEP;
  const attHi = ATT_MAX * ATT_STEP;
  const m = head.length;
  const epochOfNextSample = Float64Array.from(epochsPerSample);
  const epochsPerNegativeSample = epochsPerSample.map((e) => e / negativeSampleRate);
  const epochOfNextNegativeSample = Float64Array.from(epochsPerNegativeSample);
  const twoAB = 2 * a * b;
  const twoGammaB = 2 * gamma * b;
  const diff = new Float64Array(dim);
  const dim4 = dim - (dim % 4);
  // mulberry32 inlined (seeded from the caller's generator): the negative-sample draws are the hottest call
  let state = Math.floor(rng.next() * 4294967296) | 0;
  let alpha = initialAlpha;
  for (let epoch = 0; epoch < nEpochs; epoch++) {
    for (let e = 0; e < m; e++) {
      if (epochOfNextSample[e]! > epoch) continue;
      const jo = head[e]! * dim;
      const ko = tail[e]! * dim;
      let d2 = 0;
      for (let t = 0; t < dim; t++) {
        const v = emb[jo + t]! - emb[ko + t]!;
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
          emb[ko + t] -= g * alpha;
        }
      }
      epochOfNextSample[e] += epochsPerSample[e]!;
      const nNeg = Math.floor((epoch - epochOfNextNegativeSample[e]!) / epochsPerNegativeSample[e]!);
      for (let s = 0; s < nNeg; s++) {
        let z = (state = (state + 0x6d2b79f5) | 0);
        z = Math.imul(z ^ (z >>> 15), z | 1);
        z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
        const ro = Math.floor((((z ^ (z >>> 14)) >>> 0) / 4294967296) * n) * dim;
        // four accumulators (faster in V8 for wide embeddings); the same sum for dim < 4
        let d0 = 0;
        let d1 = 0;
        let d2n = 0;
        let d3 = 0;
        let t = 0;
        for (; t < dim4; t += 4) {
          const v0 = emb[jo + t]! - emb[ro + t]!;
          const v1 = emb[jo + t + 1]! - emb[ro + t + 1]!;
          const v2 = emb[jo + t + 2]! - emb[ro + t + 2]!;
          const v3 = emb[jo + t + 3]! - emb[ro + t + 3]!;
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
          const v = emb[jo + t]! - emb[ro + t]!;
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
      if (nNeg > 0) epochOfNextNegativeSample[e] += nNeg * epochsPerNegativeSample[e]!;
    }
    alpha = initialAlpha * (1 - epoch / nEpochs);
    onEpoch?.(epoch + 1, nEpochs);
  }
  if (emb !== p.embedding) p.embedding.set(emb);
}
