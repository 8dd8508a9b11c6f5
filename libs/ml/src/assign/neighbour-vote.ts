/**
 * Placing a customer that was not in the fit: its nearest fitted neighbours (e.g. in random-forest leaf space) vote
 * for their labels. Alternatives for comparison: average the neighbours' embedding coordinates (then e.g. the nearest
 * mixture component of that point).
 */
import { KnnGraph } from '../core/knn';
import { InvalidInputError, Matrix, matrix } from '../core/matrix';

/** 'similarity': weight 1 - distance (shared-leaf fraction for leaf space); 'uniform': one vote each. */
export type VoteWeighting = 'similarity' | 'uniform';

export interface VoteResult {
  readonly labels: Int32Array;
  /** Share of the (weighted) vote won by the chosen label, in (0, 1]. */
  readonly voteShare: Float64Array;
}

function weightOf(d: number, weighting: VoteWeighting): number {
  return weighting === 'uniform' ? 1 : Math.max(0, 1 - d);
}

/**
 * Label of each query row by a vote of its neighbours' labels. A tie goes to the label seen first, i.e. the one with
 * the nearest neighbour. When no neighbour carries weight (nothing shared) every valid neighbour gets one vote.
 */
export function voteLabels(graph: KnnGraph, fittedLabels: ArrayLike<number>, weighting: VoteWeighting = 'similarity'): VoteResult {
  const { n, k, indices, distances } = graph;
  const labels = new Int32Array(n);
  const voteShare = new Float64Array(n);
  const weights = new Map<number, number>();
  for (let q = 0; q < n; q++) {
    weights.clear();
    let total = 0;
    let anyValid = false;
    for (let pass = 0; pass < 2 && total === 0; pass++) {
      const w = pass === 0 ? weighting : 'uniform';
      for (let r = 0; r < k; r++) {
        const j = indices[q * k + r]!;
        if (j < 0) continue;
        anyValid = true;
        const lab = fittedLabels[j];
        if (lab === undefined) throw new InvalidInputError(`neighbour vote: neighbour ${j} has no fitted label`);
        const v = weightOf(distances[q * k + r]!, w);
        weights.set(lab, (weights.get(lab) ?? 0) + v);
        total += v;
      }
      if (!anyValid) throw new InvalidInputError(`neighbour vote: query ${q} has no neighbours`);
    }
    let best = -1;
    let bestW = -Infinity;
    for (const [lab, v] of weights) {
      if (v > bestW) {
        bestW = v;
        best = lab;
      }
    }
    labels[q] = best;
    voteShare[q] = bestW / total;
  }
  return { labels, voteShare };
}

/** Weighted mean of the neighbours' rows of `embedding` (same weighting as the vote). */
export function averageNeighbourRows(graph: KnnGraph, embedding: Matrix, weighting: VoteWeighting = 'similarity'): Matrix {
  const { n, k, indices, distances } = graph;
  const d = embedding.cols;
  const out = matrix(n, d);
  for (let q = 0; q < n; q++) {
    let total = 0;
    for (let pass = 0; pass < 2 && total === 0; pass++) {
      const w = pass === 0 ? weighting : 'uniform';
      for (let r = 0; r < k; r++) {
        const j = indices[q * k + r]!;
        if (j < 0) continue;
        const v = weightOf(distances[q * k + r]!, w);
        if (v === 0) continue;
        total += v;
        for (let c = 0; c < d; c++) out.data[q * d + c]! += v * embedding.data[j * d + c]!;
      }
    }
    if (total === 0) throw new InvalidInputError(`neighbour average: query ${q} has no neighbours`);
    for (let c = 0; c < d; c++) out.data[q * d + c]! /= total;
  }
  return out;
}

/** Fraction of positions where the two labelings agree. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InvalidInputError(`agreement: ${a.length} vs ${b.length} labels`);
  if (a.length === 0) return 1;
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) s++;
  return s / a.length;
}
