/**
 * A readable surrogate for a segment: a conjunction of feature thresholds ("revenue >= X AND recency <= Y") learned
 * greedily to reproduce a labelling (e.g. is_insider) as well as possible, then refined (each threshold re-optimised
 * given the others), with its fidelity (precision / recall / F1) so that the reader knows how far the words can be
 * trusted. The labelling itself stays the model's.
 */

export type Direction = '>=' | '<=';

export interface Condition {
  feature: string;
  direction: Direction;
  threshold: number;
}

export interface RuleFit {
  conditions: Condition[];
  /** Counts on the data the rule was learned from. */
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface LearnRuleOptions {
  maxConditions?: number;
  /** Stop adding conditions when F1 improves by less than this. */
  minGain?: number;
}

function f1(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

function passes(c: Condition, v: number): boolean {
  return Number.isFinite(v) && (c.direction === '>=' ? v >= c.threshold : v <= c.threshold);
}

interface Candidate {
  c: Condition;
  tp: number;
  fp: number;
  score: number;
}

/**
 * Best threshold on feature column f among `items` (indices of the rows still covered), by the F1 of the whole rule
 * (positives outside `items` count as false negatives). O(m log m).
 */
function bestThreshold(
  feature: string,
  f: number,
  items: readonly number[],
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  totalPos: number,
  directions: readonly Direction[],
): Candidate | undefined {
  const sorted = items.filter((i) => Number.isFinite(rows[i]![f]!)).sort((a, b) => rows[a]![f]! - rows[b]![f]!);
  const m = sorted.length;
  const prefixPos = new Int32Array(m + 1);
  for (let k = 0; k < m; k++) prefixPos[k + 1] = prefixPos[k]! + (labels[sorted[k]!] ? 1 : 0);
  const posAll = prefixPos[m]!;
  let cand: Candidate | undefined;
  const offer = (c: Condition, tp: number, fp: number) => {
    const score = f1(tp, fp, totalPos - tp);
    if (!cand || score > cand.score + 1e-12) cand = { c, tp, fp, score };
  };
  for (let k = 0; k < m; k++) {
    const v = rows[sorted[k]!]![f]!;
    if (k > 0 && rows[sorted[k - 1]!]![f] === v) continue;
    let j = k;
    while (j + 1 < m && rows[sorted[j + 1]!]![f] === v) j++;
    if (directions.includes('>=')) {
      const tp = posAll - prefixPos[k]!;
      offer({ feature, direction: '>=', threshold: v }, tp, m - k - tp);
    }
    if (directions.includes('<=')) {
      const tp = prefixPos[j + 1]!;
      offer({ feature, direction: '<=', threshold: v }, tp, j + 1 - tp);
    }
  }
  return cand;
}

/**
 * `rows[i][f]` is feature f of item i; `labels[i]` is whether item i is in the target group.
 * Features with non-finite values for an item never pass a condition on that feature.
 */
export function learnThresholdRule(
  features: readonly string[],
  rows: readonly (readonly number[])[],
  labels: readonly boolean[],
  options: LearnRuleOptions = {},
): RuleFit {
  const maxConditions = options.maxConditions ?? 3;
  const minGain = options.minGain ?? 0.005;
  const totalPos = labels.filter(Boolean).length;
  const all = rows.map((_, i) => i);
  const covering = (conds: readonly Condition[]) =>
    all.filter((i) => conds.every((c) => passes(c, rows[i]![features.indexOf(c.feature)]!)));
  const conditions: Condition[] = [];
  let tp = totalPos;
  let fp = rows.length - totalPos;
  let best = f1(tp, fp, 0);
  for (let step = 0; step < maxConditions; step++) {
    const covered = covering(conditions);
    let cand: Candidate | undefined;
    features.forEach((feature, f) => {
      if (conditions.some((c) => c.feature === feature)) return;
      const c = bestThreshold(feature, f, covered, rows, labels, totalPos, ['>=', '<=']);
      if (c && (!cand || c.score > cand.score + 1e-12)) cand = c;
    });
    if (!cand || cand.score - best < minGain) break;
    conditions.push(cand.c);
    tp = cand.tp;
    fp = cand.fp;
    best = cand.score;
  }
  // Refinement: re-optimise each threshold given the others (greedy steps fix early thresholds too soon).
  for (let round = 0; round < 3 && conditions.length > 1; round++) {
    let improved = false;
    for (let ci = 0; ci < conditions.length; ci++) {
      const c = conditions[ci]!;
      const base = covering(conditions.filter((_, k) => k !== ci));
      const cand = bestThreshold(c.feature, features.indexOf(c.feature), base, rows, labels, totalPos, [c.direction]);
      if (cand && cand.score > best + 1e-12) {
        conditions[ci] = cand.c;
        tp = cand.tp;
        fp = cand.fp;
        best = cand.score;
        improved = true;
      }
    }
    if (!improved) break;
  }
  const fn = totalPos - tp;
  return {
    conditions,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: totalPos === 0 ? 0 : tp / totalPos,
    f1: f1(tp, fp, fn),
  };
}

/** Whether an item passes every condition (feature values by name). */
export function satisfiesRule(conditions: readonly Condition[], values: Readonly<Record<string, number>>): boolean {
  return conditions.every((c) => {
    const v = values[c.feature];
    return v !== undefined && passes(c, v);
  });
}
