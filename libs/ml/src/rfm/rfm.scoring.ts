/**
 * RFM quantile scoring: the statistical baseline the ML segmentation is compared against.
 *
 * Each of recency (days since last purchase; lower is better), frequency and monetary value is scored 1..5 by
 * quintile of its mid-rank (tied values share a rank, so they always get the same score; deterministic). The named
 * segment comes from the classic R x FM grid, FM = round-half-up((F + M) / 2):
 *
 *   R\FM   1             2                    3                    4                5
 *   5      New customers Potential loyalists  Potential loyalists  Champions        Champions
 *   4      Promising     Potential loyalists  Potential loyalists  Loyal            Loyal
 *   3      About to sleep About to sleep      Need attention       Loyal            Loyal
 *   2      Hibernating   Hibernating          At risk              At risk          Cannot lose them
 *   1      Hibernating   Hibernating          At risk              At risk          Cannot lose them
 */
import { InvalidInputError } from '../core/matrix';

export const RFM_SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential loyalists',
  'New customers',
  'Promising',
  'Need attention',
  'About to sleep',
  'At risk',
  'Cannot lose them',
  'Hibernating',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

export interface RfmInput {
  /** Days since the last purchase (lower is better). */
  readonly recencyDays: ArrayLike<number>;
  /** Purchases (or purchase rate); higher is better. */
  readonly frequency: ArrayLike<number>;
  /** Monetary value; higher is better. */
  readonly monetary: ArrayLike<number>;
}

export interface RfmResult {
  readonly r: Uint8Array;
  readonly f: Uint8Array;
  readonly m: Uint8Array;
  /** r*100 + f*10 + m, e.g. 555. */
  readonly code: Uint16Array;
  /** r + f + m, 3..15. */
  readonly total: Uint8Array;
  readonly segment: RfmSegment[];
}

/** Quintile score 1..5 of every value by mid-rank ((higher ? ascending : descending) values get higher scores). */
export function quintileScores(values: ArrayLike<number>, higherIsBetter: boolean): Uint8Array {
  const n = values.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => values[a]! - values[b]! || a - b);
  const out = new Uint8Array(n);
  let s = 0;
  while (s < n) {
    let e = s + 1;
    while (e < n && values[idx[e]!] === values[idx[s]!]) e++;
    const mid = (s + e - 1) / 2; // 0-based mid-rank of the tie group
    const q = Math.min(5, 1 + Math.floor((5 * (mid + 0.5)) / n));
    for (let r = s; r < e; r++) out[idx[r]!] = higherIsBetter ? q : 6 - q;
    s = e;
  }
  return out;
}

const GRID: readonly (readonly RfmSegment[])[] = [
  // index [r-1][fm-1]
  ['Hibernating', 'Hibernating', 'At risk', 'At risk', 'Cannot lose them'],
  ['Hibernating', 'Hibernating', 'At risk', 'At risk', 'Cannot lose them'],
  ['About to sleep', 'About to sleep', 'Need attention', 'Loyal', 'Loyal'],
  ['Promising', 'Potential loyalists', 'Potential loyalists', 'Loyal', 'Loyal'],
  ['New customers', 'Potential loyalists', 'Potential loyalists', 'Champions', 'Champions'],
];

export function rfmSegment(r: number, f: number, m: number): RfmSegment {
  const fm = Math.floor((f + m) / 2 + 0.5);
  return GRID[r - 1]![fm - 1]!;
}

export function scoreRfm(input: RfmInput): RfmResult {
  const n = input.recencyDays.length;
  if (input.frequency.length !== n || input.monetary.length !== n) {
    throw new InvalidInputError(`rfm: recency, frequency and monetary need the same length (${n}, ${input.frequency.length}, ${input.monetary.length})`);
  }
  for (const [name, v] of [['recencyDays', input.recencyDays], ['frequency', input.frequency], ['monetary', input.monetary]] as const) {
    for (let i = 0; i < n; i++) if (!Number.isFinite(v[i]!)) throw new InvalidInputError(`rfm: ${name} has a non-finite value (${v[i]}) at row ${i}`);
  }
  const r = quintileScores(input.recencyDays, false);
  const f = quintileScores(input.frequency, true);
  const m = quintileScores(input.monetary, true);
  const code = new Uint16Array(n);
  const total = new Uint8Array(n);
  const segment: RfmSegment[] = new Array<RfmSegment>(n);
  for (let i = 0; i < n; i++) {
    code[i] = r[i]! * 100 + f[i]! * 10 + m[i]!;
    total[i] = r[i]! + f[i]! + m[i]!;
    segment[i] = rfmSegment(r[i]!, f[i]!, m[i]!);
  }
  return { r, f, m, code, total, segment };
}
