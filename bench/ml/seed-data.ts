/**
 * Seed customers for the ML benchmark: the per-customer features of the public seed project ("seed-ian" preset, see
 * /work/shared/data/README.md), reproduced exactly from data/Ecommerce.csv and committed as the golden fixture
 * test/fixtures/reference-features-seed-ian.csv. As in the seed: target = gross_revenue, features = recency_days,
 * qtde_products, frequency, qtde_returns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, matrix } from '../../libs/ml/src/core/matrix';
import { Random } from '../../libs/ml/src/core/random';

export const FEATURE_NAMES = ['recency_days', 'qtde_products', 'frequency', 'qtde_returns'] as const;

export interface CustomerTable {
  readonly ids: string[];
  readonly features: Matrix;
  readonly target: Float64Array;
  /** The seed project's own cluster label (for comparison only). */
  readonly seedCluster: Int32Array;
}

/** All 5,695 seed rows, or only the 4,329 customers with a real CustomerID (`realOnly`, the "4.4k" of the issue). */
export function loadSeedCustomers(realOnly = true): CustomerTable {
  const text = readFileSync(join(__dirname, '../../test/fixtures/reference-features-seed-ian.csv'), 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0]!.split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`fixture lacks column ${name}`);
    return i;
  };
  const ci = col('customer_id');
  const gi = col('gross_revenue');
  const fi = FEATURE_NAMES.map(col);
  const cl = col('cluster');
  const rows = lines.slice(1).map((l) => l.split(',')).filter((r) => !realOnly || Number(r[ci]) < 19000);
  const features = matrix(rows.length, FEATURE_NAMES.length);
  const target = new Float64Array(rows.length);
  const seedCluster = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    fi.forEach((c, j) => (features.data[i * fi.length + j] = Number(r[c])));
    target[i] = Number(r[gi]);
    seedCluster[i] = Number(r[cl]);
  });
  return { ids: rows.map((r) => r[ci]!), features, target, seedCluster };
}

/**
 * n synthetic customers with the seed's joint distribution: each is a random seed customer with multiplicative
 * log-normal jitter (revenue and products share a factor, so the target stays tied to the features).
 */
export function syntheticCustomers(base: CustomerTable, n: number, seed: number): CustomerTable {
  const rng = new Random(seed);
  const p = base.features.cols;
  const features = matrix(n, p);
  const target = new Float64Array(n);
  const ids: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const s = rng.int(base.features.rows);
    const src = base.features.data.subarray(s * p, (s + 1) * p);
    const volume = Math.exp(0.15 * rng.normal());
    const recency = Math.max(0, Math.round(src[0]! + 4 * rng.normal()));
    const products = Math.max(1, Math.round(src[1]! * volume * Math.exp(0.05 * rng.normal())));
    const frequency = src[2]! * Math.exp(0.1 * rng.normal());
    const returns = Math.max(0, Math.round(src[3]! * volume * Math.exp(0.1 * rng.normal())));
    features.data.set([recency, products, frequency, returns], i * p);
    target[i] = Math.round(base.target[s]! * volume * Math.exp(0.05 * rng.normal()) * 100) / 100;
    ids[i] = `s${i}`;
  }
  return { ids, features, target, seedCluster: new Int32Array(n).fill(-1) };
}
