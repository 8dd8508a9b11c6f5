import { featureVector, SCALAR_FEATURES, SEED_FEATURES, DAYS_OF_MONTH, WEEKDAYS, type CustomerFeatures } from '@insiders/features-core';
import { matrix, type Matrix } from '@insiders/ml';
import { factsFromFeatures, type CustomerFacts } from '@insiders/segments';

/**
 * Which features the model is fitted on. Gross revenue is the forest's *target* (as in the seed projects) and never
 * one of its inputs: with it as an input every tree splits on it alone and the leaf embedding collapses into a
 * revenue ranking (measured on the seed data: one mixed cluster held the top spenders with the smallest ones).
 */
export type FeatureSet = 'seed' | 'scalar' | 'all';

const SEED_INPUTS = SEED_FEATURES.filter((f) => f !== 'grossRevenue');
const SCALAR_INPUTS = SCALAR_FEATURES.filter((f) => f !== 'grossRevenue');

export function featureNames(set: FeatureSet): string[] {
  if (set === 'seed') return [...SEED_INPUTS];
  if (set === 'scalar') return [...SCALAR_INPUTS];
  return [
    ...SCALAR_INPUTS,
    ...Array.from({ length: WEEKDAYS }, (_, i) => `weekdayShare${i + 1}`),
    ...Array.from({ length: DAYS_OF_MONTH }, (_, i) => `dayOfMonthShare${i + 1}`),
  ];
}

function rawVector(f: CustomerFeatures, set: FeatureSet): number[] {
  if (set === 'seed') return SEED_INPUTS.map((k) => f[k]);
  if (set === 'scalar') return SCALAR_INPUTS.map((k) => f[k]);
  return featureVector(f).slice(1); // featureVector starts with grossRevenue (SCALAR_FEATURES order)
}

/** sign(x)·ln(1 + |x|): tames the heavy tails of money and counts; monotonic, so the forest is unaffected. */
export function signedLog1p(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}


export interface PreparedFeatures {
  customerIds: string[];
  /** Model input: the feature set, signed-log scaled. */
  matrix: Matrix;
  /** Forest target: gross revenue (as the seeds). */
  target: Float64Array;
  facts: CustomerFacts[];
  /** Untransformed model inputs and gross revenue, by name (drift baselines). */
  columns: Map<string, Float64Array>;
  /** Latest purchase day among the customers (the data cut-off), YYYY-MM-DD; '' when empty. */
  cutoffDay: string;
}

export function prepareFeatures(features: readonly CustomerFeatures[], set: FeatureSet): PreparedFeatures {
  const names = featureNames(set);
  const n = features.length;
  const data = new Float64Array(n * names.length);
  const columns = new Map([...names, 'grossRevenue'].map((name) => [name, new Float64Array(n)]));
  const cols = names.map((name) => columns.get(name)!);
  const target = new Float64Array(n);
  let cutoffDay = '';
  features.forEach((f, i) => {
    const v = rawVector(f, set);
    for (let j = 0; j < names.length; j++) {
      const x = v[j]!;
      if (!Number.isFinite(x)) throw new Error(`customer ${f.customerId}: feature ${names[j]} is not finite (${x})`);
      cols[j]![i] = x;
      data[i * names.length + j] = signedLog1p(x);
    }
    target[i] = f.grossRevenue;
    columns.get('grossRevenue')![i] = f.grossRevenue;
    if (f.lastPurchaseDay > cutoffDay) cutoffDay = f.lastPurchaseDay;
  });
  return { customerIds: features.map((f) => f.customerId), matrix: matrix(n, names.length, data), target, facts: features.map(factsFromFeatures), columns, cutoffDay };
}
