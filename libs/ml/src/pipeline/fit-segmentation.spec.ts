import { InvalidInputError, Matrix, matrix, takeRows } from '../core/matrix';
import { Random } from '../core/random';
import { adjustedRandIndex } from '../selection/ari';
import { fitSegmentationInWorker } from '../worker/fit-in-worker';
import { MlWorkerPool } from '../worker/ml-pool';
import { SegmentationFit, fitSegmentation } from './fit-segmentation';
import { SegmentationModel } from './segmentation.model';
import { SegmentationOptions } from './segmentation.options';

/** Three customer groups with distinct behaviour and spend levels. */
function groups(n: number, seed: number): { X: Matrix; y: Float64Array; truth: Int32Array } {
  const r = new Random(seed);
  const X = matrix(n, 4);
  const y = new Float64Array(n);
  const truth = new Int32Array(n);
  const centres = [
    [300, 2, 0.01, 0],
    [60, 40, 0.05, 3],
    [5, 200, 0.3, 10],
  ];
  const spend = [50, 800, 6000];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    truth[i] = g;
    const c = centres[g]!;
    X.data.set([c[0]! * (1 + 0.15 * r.normal()), c[1]! * (1 + 0.15 * r.normal()), c[2]! * (1 + 0.1 * r.normal()), Math.max(0, c[3]! + r.normal())], i * 4);
    y[i] = spend[g]! * (1 + 0.1 * r.normal());
  }
  return { X, y, truth };
}

const FAST: SegmentationOptions = {
  seed: 7,
  forest: { nTrees: 30 },
  umap: { nComponents: 2, nEpochs: 100 },
  gmm: { kMin: 2, kMax: 5, nInit: 2 },
};

describe('fitSegmentation', () => {
  const data = groups(240, 1);
  const ids = Array.from({ length: 240 }, (_, i) => `c${i}`);
  let fit: SegmentationFit;
  beforeAll(async () => {
    fit = await fitSegmentation(data.X, data.y, { ...FAST, ids });
  }, 60_000);

  it('recovers planted groups, reports the whole k curve and per-stage timings', () => {
    expect(fit.curve.map((p) => p.k)).toEqual([2, 3, 4, 5]);
    expect(fit.k).toBe(3);
    expect(fit.silhouette).toBe(Math.max(...fit.curve.map((p) => p.silhouette)));
    expect(adjustedRandIndex(fit.labels, data.truth)).toBeGreaterThan(0.95);
    expect(fit.labels).toEqual(fit.model.labels);
    for (const stage of ['forest', 'apply', 'knn', 'umap', 'selectK', 'gmm', 'silhouette'] as const) expect(fit.timings[stage]).toBeGreaterThan(0);
    expect(fit.timings.total).toBeGreaterThanOrEqual(fit.timings.forest + fit.timings.umap);
    expect(fit.model.embedding.rows).toBe(240);
    expect(fit.model.embedding.cols).toBe(2);
  });

  it('gives identical labels for the same data and seed', async () => {
    const a = fit;
    const b = await fitSegmentation(data.X, data.y, FAST);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.model.embedding.data)).toEqual(Array.from(a.model.embedding.data));
    expect(b.curve).toEqual(a.curve.map((p) => ({ ...p, ms: expect.any(Number) })));
  });

  it('assigns new customers by their leaf-space neighbours, with vote share and neighbour ids', () => {
    const fresh = groups(30, 99);
    const a = fit.model.assign(fresh.X);
    // a fresh customer lands in the segment holding most fitted customers of its group
    const segmentOfGroup = [0, 1, 2].map((g) => fit.labels[data.truth.indexOf(g)]!);
    for (let q = 0; q < 30; q++) expect(a.labels[q]).toBe(segmentOfGroup[fresh.truth[q]!]);
    expect(a.k).toBe(15);
    expect(a.neighbours.length).toBe(30 * 15);
    expect(Math.min(...a.voteShare)).toBeGreaterThan(0.5);
    expect(a.neighbourIds!.slice(0, 15)).toEqual(Array.from(a.neighbours.subarray(0, 15), (j) => ids[j]));
    for (let r = 0; r < 15; r++) expect(fresh.truth[0]).toBe(data.truth[a.neighbours[r]!]);

    // a changed customer: its own fitted row can be kept out of its neighbours
    const self = fit.model.assign(takeRows(data.X, [4]));
    expect(self.neighbours[0]).toBe(4);
    const changed = fit.model.assign(takeRows(data.X, [4]), { exclude: Int32Array.from([4]) });
    expect(Array.from(changed.neighbours)).not.toContain(4);
    expect(changed.labels[0]).toBe(fit.labels[4]);

    const ev = fit.model.evaluateAssignment(240, 3);
    expect(ev.rows).toBe(240);
    expect(ev.agreement.leafVoteSimilarity).toBeGreaterThan(0.95);
    expect(ev.agreement.embeddingAverageGmm).toBeGreaterThan(0.9);
  });

  it('assigns many rows identically with a worker pool sharing the chunks', async () => {
    const many = groups(45_000, 11).X;
    const pool = new MlWorkerPool(1);
    try {
      const inThread = fit.model.assign(many);
      const threaded = await fit.model.assignAsync(many, pool);
      expect(Array.from(threaded.labels)).toEqual(Array.from(inThread.labels));
      expect(Array.from(threaded.neighbours)).toEqual(Array.from(inThread.neighbours));
      expect(Array.from(threaded.voteShare)).toEqual(Array.from(inThread.voteShare));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('round-trips the model through JSON (trees regrown on load, or included) and assigns identically after loading', () => {
    const fresh = groups(20, 5).X;
    const a = fit.model.assign(fresh);
    const small = JSON.stringify(fit.model.toJSON());
    const full = JSON.stringify(fit.model.toJSON({ forest: 'include' }));
    expect(small.length * 3).toBeLessThan(full.length);
    for (const doc of [small, full]) {
      const loaded = SegmentationModel.fromJSON(JSON.parse(doc));
      expect(loaded.forest.toJSON()).toEqual(fit.model.forest.toJSON());
      const b = loaded.assign(fresh);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(b.neighbours)).toEqual(Array.from(a.neighbours));
      expect(b.neighbourIds).toEqual(a.neighbourIds);
      expect(Array.from(loaded.labels)).toEqual(Array.from(fit.model.labels));
      expect(loaded.k).toBe(fit.k);
      expect(loaded.curve.map((p) => p.silhouette)).toEqual(fit.curve.map((p) => p.silhouette));
      expect(Array.from(loaded.gmm.predict(loaded.embedding))).toEqual(Array.from(fit.labels));
    }
    expect(() => SegmentationModel.fromJSON({ ...JSON.parse(small), kind: 'x' })).toThrow(/not a serialised segmentation-model/);
  });

  it('fits on a sample and assigns the other rows when the input exceeds fitSampleSize (k chosen on a smaller sample)', async () => {
    const big = groups(300, 2);
    const fit = await fitSegmentation(big.X, big.y, { ...FAST, fitSampleSize: 150, gmm: { ...FAST.gmm, selectionSampleSize: 100 } });
    expect(fit.fittedRows.length).toBe(150);
    expect(fit.model.nFitted).toBe(150);
    expect(fit.labels.length).toBe(300);
    expect(fit.timings.assignRest).toBeGreaterThan(0);
    expect(adjustedRandIndex(fit.labels, big.truth)).toBeGreaterThan(0.95);
    const fitted = takeRows(big.X, fit.fittedRows);
    expect(fit.model.fittedFeatures.data).toEqual(fitted.data);
  });

  it('selects by BIC when asked and records failed k as NaN', async () => {
    const tiny = groups(30, 3);
    const fit = await fitSegmentation(tiny.X, tiny.y, { ...FAST, nNeighbors: 5, gmm: { kMin: 2, kMax: 40, nInit: 1 }, selectBy: 'bic' });
    expect(fit.curve).toHaveLength(39);
    expect(fit.curve.find((p) => p.k === 31)!.silhouette).toBeNaN();
    const finite = fit.curve.filter((p) => Number.isFinite(p.bic));
    expect(fit.k).toBe(finite.reduce((a, b) => (b.bic < a.bic ? b : a)).k);
  });

  it('also embeds with umap-js on the leaf graph, or with the seed project node-id input', async () => {
    for (const umap of [{ engine: 'umap-js' as const }, { input: 'node-ids' as const }]) {
      const alt = await fitSegmentation(data.X, data.y, { ...FAST, umap: { ...FAST.umap, ...umap } });
      expect(alt.model.embedding.rows).toBe(240);
      expect(adjustedRandIndex(alt.labels, data.truth)).toBeGreaterThan(0.9);
    }
  });

  it('rejects non-finite input and mismatched targets with a clear error', async () => {
    const bad = matrix(3, 1, Float64Array.from([1, NaN, 3]));
    await expect(fitSegmentation(bad, Float64Array.from([1, 2, 3]))).rejects.toThrow(/non-finite value \(NaN\) at row 1, column 0/);
    await expect(fitSegmentation(data.X, new Float64Array(5))).rejects.toThrow(InvalidInputError);
    await expect(fitSegmentation(data.X, data.y, { gmm: { kMin: 5, kMax: 4 } })).rejects.toThrow(/gmm.kMax/);
    await expect(fitSegmentation(data.X, new Float64Array(240).fill(3), FAST)).rejects.toThrow(/no tree could split/);
  });

  it('runs the whole fit in a worker thread (itself sharing trees and k with a nested worker) with the same result', async () => {
    const stages: string[] = [];
    const inThread = fit;
    const inWorker = await fitSegmentationInWorker(data.X, data.y, { ...FAST, threads: 2 }, (s) => stages.push(s));
    expect(Array.from(inWorker.labels)).toEqual(Array.from(inThread.labels));
    expect(inWorker.k).toBe(inThread.k);
    expect(stages).toContain('umap');
    expect(stages[stages.length - 1]).toBe('done');
    const fresh = groups(10, 8).X;
    expect(Array.from(inWorker.model.assign(fresh).labels)).toEqual(Array.from(inThread.model.assign(fresh).labels));
    await expect(fitSegmentationInWorker(data.X, new Float64Array(3), FAST)).rejects.toThrow(InvalidInputError);
  }, 60_000);
});
