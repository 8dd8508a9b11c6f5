import { InvalidInputError, fromRows, matrix } from '../core/matrix';
import { Random } from '../core/random';
import { RandomForestRegressor, resolveMaxFeatures } from './random-forest.model';

function synthetic(n: number, p: number, seed: number): { X: ReturnType<typeof matrix>; y: Float64Array } {
  const r = new Random(seed);
  const X = matrix(n, p);
  for (let i = 0; i < n * p; i++) X.data[i] = r.normal();
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 3 * X.data[i * p]! + (X.data[i * p + 1]! > 0 ? 5 : 0) + 0.1 * r.normal();
  return { X, y };
}

describe('RandomForestRegressor', () => {
  it('splits a step function exactly at the step', () => {
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const X = fromRows(xs.map((x) => [x]));
    const y = Float64Array.from(xs.map((x) => (x < 5 ? 1 : 11)));
    const f = RandomForestRegressor.fit(X, y, { nTrees: 1, bootstrap: false, seed: 3 });
    const t = f.tree(0);
    expect(t.feature[0]).toBe(0);
    expect(t.threshold[0]).toBe(4.5);
    expect(t.nLeaves).toBe(2); // both sides are pure
    expect(Array.from(f.predict(fromRows([[-100], [4.4], [4.6], [100]])))).toEqual([1, 1, 11, 11]);
    expect(Array.from(f.apply(fromRows([[0], [9]])))).toEqual([0, 1]);
    expect(Array.from(f.applyNodeIds(fromRows([[0], [9]])))).toEqual([1, 2]); // pre-order: root 0, left 1, right 2
  });

  it('picks the informative feature for the root split (best over all candidates)', () => {
    // feature 0 is noise, feature 1 carries a step between 0.3 and 0.7
    const X = fromRows([
      [5, 0.1], [1, 0.2], [4, 0.3], [2, 0.7], [3, 0.8], [0, 0.9],
    ]);
    const y = Float64Array.from([0, 0, 0, 10, 10, 10]);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 1, bootstrap: false });
    expect(f.tree(0).feature[0]).toBe(1);
    expect(f.tree(0).threshold[0]).toBeCloseTo(0.5, 12);
    expect(Array.from(f.featureImportances)).toEqual([0, 1]);
  });

  it('grows a single leaf for a constant target', () => {
    const { X } = synthetic(200, 3, 1);
    const y = new Float64Array(200).fill(42);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 5, seed: 1 });
    expect(f.nodeCount).toBe(5);
    expect(Array.from(f.leafCounts)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(f.apply(X)).every((l) => l === 0)).toBe(true);
    expect(Array.from(f.predict(X)).every((v) => v === 42)).toBe(true);
  });

  it('grows a single leaf when every feature is constant', () => {
    const X = matrix(50, 2, new Float64Array(100).fill(1));
    const y = Float64Array.from({ length: 50 }, (_, i) => i);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 2, bootstrap: false });
    expect(f.nodeCount).toBe(2);
    expect(f.predict(fromRows([[1, 1]]))[0]).toBeCloseTo(24.5, 12);
  });

  it('fits distinct training points exactly when grown to purity without bootstrap', () => {
    const { X, y } = synthetic(300, 4, 2);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 3, bootstrap: false, seed: 2 });
    const pred = f.predict(X);
    for (let i = 0; i < 300; i++) expect(pred[i]).toBeCloseTo(y[i]!, 9);
  });

  it('respects minSamplesLeaf on every leaf', () => {
    const { X, y } = synthetic(500, 3, 3);
    const msl = 7;
    const f = RandomForestRegressor.fit(X, y, { nTrees: 4, bootstrap: false, minSamplesLeaf: msl, maxFeatures: 'sqrt', seed: 3 });
    const leaves = f.apply(X);
    for (let t = 0; t < 4; t++) {
      const counts = new Int32Array(f.leafCounts[t]!);
      for (let i = 0; i < 500; i++) counts[leaves[i * 4 + t]!]!++;
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(msl);
      expect(f.leafCounts[t]).toBeGreaterThan(10); // it did split
    }
  });

  it('respects maxDepth', () => {
    const { X, y } = synthetic(400, 3, 4);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 3, maxDepth: 2, seed: 4 });
    for (let t = 0; t < 3; t++) expect(f.leafCounts[t]).toBeLessThanOrEqual(4);
    const stump = RandomForestRegressor.fit(X, y, { nTrees: 2, maxDepth: 0 });
    expect(Array.from(stump.leafCounts)).toEqual([1, 1]);
  });

  it('learns the signal and ranks the informative features first', () => {
    const train = synthetic(1500, 5, 5);
    const test = synthetic(500, 5, 6);
    const f = RandomForestRegressor.fit(train.X, train.y, { nTrees: 40, seed: 5, maxFeatures: 0.6 });
    const pred = f.predict(test.X);
    let sse = 0;
    let sst = 0;
    const mean = test.y.reduce((a, b) => a + b, 0) / 500;
    for (let i = 0; i < 500; i++) {
      sse += (pred[i]! - test.y[i]!) ** 2;
      sst += (test.y[i]! - mean) ** 2;
    }
    expect(1 - sse / sst).toBeGreaterThan(0.9);
    const imp = Array.from(f.featureImportances);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(imp[0]! + imp[1]!).toBeGreaterThan(0.9);
  });

  it('gives identical trees for the same seed and different trees for another seed', () => {
    const { X, y } = synthetic(300, 4, 7);
    const a = RandomForestRegressor.fit(X, y, { nTrees: 10, seed: 11, maxFeatures: 'sqrt' });
    const b = RandomForestRegressor.fit(X, y, { nTrees: 10, seed: 11, maxFeatures: 'sqrt' });
    const c = RandomForestRegressor.fit(X, y, { nTrees: 10, seed: 12, maxFeatures: 'sqrt' });
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(JSON.stringify(a.toJSON())).not.toBe(JSON.stringify(c.toJSON()));
  });

  it('grows the same forest in worker threads as in-thread', async () => {
    const { X, y } = synthetic(400, 4, 8);
    const inThread = RandomForestRegressor.fit(X, y, { nTrees: 7, seed: 9 });
    const threaded = await RandomForestRegressor.fitAsync(X, y, { nTrees: 7, seed: 9, workers: 2 });
    expect(JSON.stringify(threaded.toJSON())).toBe(JSON.stringify(inThread.toJSON()));
    // the leaves each thread computes with its trees are apply()'s
    const withLeaves = await RandomForestRegressor.fitAndApplyAsync(X, y, { nTrees: 7, seed: 9, workers: 2 });
    expect(Array.from(withLeaves.leaves)).toEqual(Array.from(inThread.apply(X)));
    expect(Array.from((await RandomForestRegressor.fitAndApplyAsync(X, y, { nTrees: 7, seed: 9 })).leaves)).toEqual(Array.from(inThread.apply(X)));
  }, 30_000);

  it('round-trips through JSON', () => {
    const { X, y } = synthetic(300, 3, 10);
    const f = RandomForestRegressor.fit(X, y, { nTrees: 6, seed: 1, maxDepth: 8, minSamplesLeaf: 2 });
    const g = RandomForestRegressor.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
    expect(Array.from(g.predict(X))).toEqual(Array.from(f.predict(X)));
    expect(Array.from(g.apply(X))).toEqual(Array.from(f.apply(X)));
    expect(Array.from(g.featureImportances)).toEqual(Array.from(f.featureImportances));
    expect(g.toJSON()).toEqual(f.toJSON());
  });

  it('rejects NaN and Infinity with a clear error', () => {
    const X = fromRows([[1, 2], [3, NaN], [5, 6]]);
    const y = Float64Array.from([1, 2, 3]);
    expect(() => RandomForestRegressor.fit(X, y)).toThrow(InvalidInputError);
    expect(() => RandomForestRegressor.fit(X, y)).toThrow(/non-finite value \(NaN\) at row 1, column 1/);
    const good = fromRows([[1, 2], [3, 4], [5, 6]]);
    expect(() => RandomForestRegressor.fit(good, Float64Array.from([1, Infinity, 3]))).toThrow(/target has a non-finite value \(Infinity\) at row 1/);
    const f = RandomForestRegressor.fit(good, y, { nTrees: 2 });
    expect(() => f.apply(fromRows([[1, -Infinity]]))).toThrow(/non-finite value \(-Infinity\)/);
    expect(() => f.predict(fromRows([[1, 2, 3]]))).toThrow(/3 columns/);
    expect(() => RandomForestRegressor.fit(good, Float64Array.from([1, 2]))).toThrow(/2 values, expected 3/);
  });

  it('validates options', () => {
    const X = fromRows([[1], [2]]);
    const y = Float64Array.from([1, 2]);
    expect(() => RandomForestRegressor.fit(X, y, { nTrees: 0 })).toThrow(/nTrees/);
    expect(() => RandomForestRegressor.fit(X, y, { maxFeatures: 1.5 })).toThrow(/maxFeatures/);
    expect(() => RandomForestRegressor.fit(X, y, { minSamplesLeaf: 0 })).toThrow(/minSamplesLeaf/);
    expect(resolveMaxFeatures('sqrt', 10)).toBe(3);
    expect(resolveMaxFeatures(0.5, 5)).toBe(2);
    expect(resolveMaxFeatures(0.01, 5)).toBe(1);
    expect(resolveMaxFeatures(3, 10)).toBe(3);
    expect(resolveMaxFeatures('all', 10)).toBe(10);
  });
});
