import { KnnGraph } from '../core/knn';
import { InvalidInputError, Matrix, fromRows } from '../core/matrix';
import { Random } from '../core/random';
import { blobs } from '../kmeans/blobs.fixture';
import { kmeans } from '../kmeans/kmeans';
import { adjustedRandIndex } from '../selection/ari';
import { silhouetteScore } from '../silhouette/silhouette';
import { findAbParams } from './ab-params';
import { bfsOrder, connectedComponents, fuzzySimplicialSet, permuteGraph, smoothKnnDist } from './fuzzy-set';
import { exactKnn, nnDescentKnn } from './knn-search';
import { embeddingQuality, embeddingQualityFrom } from './quality';
import { spectralLayout } from './spectral';
import { MlWorkerPool } from '../worker/ml-pool';
import { umap, umapAsync } from './umap';

const centers = (k: number, d: number, scale: number, seed: number) => {
  const rng = new Random(seed);
  return Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * scale));
};

function bruteKnn(x: Matrix, i: number, k: number): number[] {
  const d = Array.from({ length: x.rows }, (_, j) => {
    let s = 0;
    for (let t = 0; t < x.cols; t++) s += (x.data[i * x.cols + t]! - x.data[j * x.cols + t]!) ** 2;
    return [s, j] as const;
  });
  return d
    .filter(([, j]) => j !== i)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, j]) => j);
}

describe('kNN search', () => {
  it('exact search equals brute force, sorted, self excluded', () => {
    const { x } = blobs(centers(3, 4, 3, 1), 40, 1, 2);
    const g = exactKnn(x, 7);
    for (let i = 0; i < x.rows; i++) {
      expect(Array.from(g.indices.subarray(i * 7, i * 7 + 7))).toEqual(bruteKnn(x, i, 7));
      for (let s = 1; s < 7; s++) expect(g.distances[i * 7 + s]).toBeGreaterThanOrEqual(g.distances[i * 7 + s - 1]!);
    }
  });

  it('NN-descent reaches high recall and is deterministic', () => {
    const { x } = blobs(centers(8, 12, 4, 3), 120, 1, 4);
    const exact = exactKnn(x, 10);
    const approx = nnDescentKnn(x, 10, new Random(1));
    let hit = 0;
    for (let i = 0; i < x.rows; i++) {
      const truth = new Set(exact.indices.subarray(i * 10, i * 10 + 10));
      for (let s = 0; s < 10; s++) if (truth.has(approx.indices[i * 10 + s]!)) hit++;
    }
    expect(hit / (x.rows * 10)).toBeGreaterThan(0.97);
    expect(Array.from(nnDescentKnn(x, 10, new Random(1)).indices)).toEqual(Array.from(approx.indices));
  });
});

describe('fuzzy simplicial set', () => {
  it('calibrates sigma so that memberships sum to log2(nNeighbors), and is a symmetric fuzzy union', () => {
    const { x } = blobs(centers(2, 3, 3, 5), 50, 1, 6);
    const knn = exactKnn(x, 9);
    const { sigmas, rhos } = smoothKnnDist(knn, 10);
    for (let i = 0; i < x.rows; i++) {
      expect(rhos[i]).toBe(knn.distances[i * 9]);
      let s = 0;
      for (let t = 0; t < 9; t++) s += Math.exp(-Math.max(0, knn.distances[i * 9 + t]! - rhos[i]!) / sigmas[i]!);
      expect(s).toBeCloseTo(Math.log2(10), 4);
    }
    const g = fuzzySimplicialSet(knn, 10);
    const dense = new Map<number, number>();
    for (let i = 0; i < g.n; i++) {
      for (let p = g.indptr[i]!; p < g.indptr[i + 1]!; p++) {
        if (p > g.indptr[i]!) expect(g.indices[p]).toBeGreaterThan(g.indices[p - 1]!);
        dense.set(i * g.n + g.indices[p]!, g.weights[p]!);
        expect(g.weights[p]).toBeGreaterThan(0);
        expect(g.weights[p]).toBeLessThanOrEqual(1);
      }
    }
    for (const [key, w] of dense) expect(dense.get((key % g.n) * g.n + Math.floor(key / g.n))).toBe(w);
    // hand check of one union entry: w = a + b - ab
    const i = 0;
    const j = knn.indices[1]!;
    const a = Math.exp(-Math.max(0, knn.distances[1]! - rhos[0]!) / sigmas[0]!);
    const back = Array.from(knn.indices.subarray(j * 9, j * 9 + 9)).indexOf(i);
    const b = back >= 0 ? Math.exp(-Math.max(0, knn.distances[j * 9 + back]! - rhos[j]!) / sigmas[j]!) : 0;
    expect(dense.get(i * g.n + j)).toBeCloseTo(a + b - a * b, 12);
  });

  it('renumbers vertices in breadth-first order without changing the graph', () => {
    const { x } = blobs(centers(3, 4, 3, 2), 30, 1, 3);
    const g = fuzzySimplicialSet(exactKnn(x, 6), 7);
    const order = bfsOrder(g);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: g.n }, (_, i) => i));
    const pg = permuteGraph(g, order);
    const edges = (h: typeof g, map: (v: number) => number) => {
      const out: string[] = [];
      for (let i = 0; i < h.n; i++) for (let p = h.indptr[i]!; p < h.indptr[i + 1]!; p++) out.push(`${map(i)}-${map(h.indices[p]!)}:${h.weights[p]}`);
      return out.sort();
    };
    expect(edges(pg, (v) => order[v]!)).toEqual(edges(g, (v) => v));
  });

  it('finds connected components', () => {
    const { x } = blobs([[0, 0], [100, 100]], 30, 1, 7);
    const g = fuzzySimplicialSet(exactKnn(x, 5), 6);
    const { labels, count } = connectedComponents(g);
    expect(count).toBe(2);
    expect(new Set(labels.subarray(0, 30)).size).toBe(1);
    expect(labels[0]).not.toBe(labels[30]);
  });
});

describe('a, b curve fit', () => {
  it('matches umap-learn find_ab_params', () => {
    const { a, b } = findAbParams(1, 0.1);
    expect(a).toBeCloseTo(1.5769, 3); // umap-learn: a=1.5769434, b=0.8950608
    expect(b).toBeCloseTo(0.8951, 3);
  });
});

describe('spectral layout', () => {
  it('returns eigenvectors of the normalised adjacency (cycle graph, subspace iteration path)', () => {
    const n = 400;
    const indptr = new Int32Array(n + 1).map((_, i) => 2 * i);
    const indices = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const [u, v] = [(i + n - 1) % n, (i + 1) % n].sort((p, q) => p - q);
      indices[2 * i] = u!;
      indices[2 * i + 1] = v!;
    }
    const g = { n, indptr, indices, weights: new Float64Array(2 * n).fill(1) };
    const emb = spectralLayout(g, 2, new Random(1), { maxIter: 200, tol: 1e-6 })!;
    // eigenvalue of the first non-trivial pair is cos(2π/n); each output column v satisfies A v = λ v with A = W / 2
    const lambda = Math.cos((2 * Math.PI) / n);
    for (let c = 0; c < 2; c++) {
      let res = 0;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        const av = (emb[((i + n - 1) % n) * 2 + c]! + emb[((i + 1) % n) * 2 + c]!) / 2;
        res += (av - lambda * emb[i * 2 + c]!) ** 2;
        norm += emb[i * 2 + c]! ** 2;
      }
      expect(Math.sqrt(res / norm)).toBeLessThan(1e-4);
    }
  });
});

describe('umap', () => {
  const fixture = blobs(centers(4, 10, 8, 11), 60, 1, 12);

  it('keeps separated clusters separated', () => {
    const { embedding } = umap(fixture.x, { seed: 1, nEpochs: 150 });
    expect(silhouetteScore(embedding, fixture.labels)).toBeGreaterThan(0.6);
    expect(adjustedRandIndex(kmeans(embedding, { k: 4, seed: 1 }).labels, fixture.labels)).toBe(1);
    const q = embeddingQuality(fixture.x, embedding, { k: 10 });
    expect(q.trustworthiness).toBeGreaterThan(0.85);
  });

  it('is identical across runs with the same seed and differs with another seed', () => {
    const a = umap(fixture.x, { seed: 5, nEpochs: 60, nComponents: 3 });
    const b = umap(fixture.x, { seed: 5, nEpochs: 60, nComponents: 3 });
    const c = umap(fixture.x, { seed: 6, nEpochs: 60, nComponents: 3 });
    expect(Array.from(a.embedding.data)).toEqual(Array.from(b.embedding.data));
    expect(Array.from(a.embedding.data)).not.toEqual(Array.from(c.embedding.data));
  });

  it('gives the same embedding from a precomputed KnnGraph as from the matrix', () => {
    const fromMatrix = umap(fixture.x, { seed: 2, nEpochs: 50, knn: 'exact' });
    const graph: KnnGraph = exactKnn(fixture.x, 14);
    const fromGraph = umap(graph, { seed: 2, nEpochs: 50 });
    expect(Array.from(fromGraph.embedding.data)).toEqual(Array.from(fromMatrix.embedding.data));
  });

  it('handles disconnected graphs and every init', () => {
    const far = blobs([[0, 0, 0], [1000, 0, 0], [0, 1000, 0]], 30, 1, 3);
    for (const init of ['spectral', 'pca', 'random'] as const) {
      const { embedding } = umap(far.x, { seed: 1, nEpochs: 60, nNeighbors: 8, init });
      expect(embedding.data.every(Number.isFinite)).toBe(true);
      expect(silhouetteScore(embedding, far.labels)).toBeGreaterThan(0.5);
    }
  });

  it('copes with constant features and duplicated points', () => {
    const rows = Array.from({ length: 60 }, (_, i) => [i % 3 === 0 ? 1 : 5, 7, Math.floor(i / 20)]);
    const { embedding } = umap(fromRows(rows), { seed: 1, nEpochs: 30, nNeighbors: 5 });
    expect(embedding.data.every(Number.isFinite)).toBe(true);
    const allSame = umap(fromRows(Array.from({ length: 20 }, () => [3, 3])), { seed: 1, nEpochs: 10, nNeighbors: 4 });
    expect(allSame.embedding.data.every(Number.isFinite)).toBe(true);
  });

  it('splits the SGD into vertex shards: the same embedding inline and on a worker thread, clusters kept', async () => {
    const inline = umap(fixture.x, { seed: 4, nEpochs: 120, layoutShards: 2 });
    const pool = new MlWorkerPool(1);
    try {
      const threaded = await umapAsync(fixture.x, { seed: 4, nEpochs: 120, layoutShards: 2 }, pool);
      expect(Array.from(threaded.embedding.data)).toEqual(Array.from(inline.embedding.data));
    } finally {
      await pool.close();
    }
    expect(silhouetteScore(inline.embedding, fixture.labels)).toBeGreaterThan(0.6);
    expect(embeddingQuality(fixture.x, inline.embedding, { k: 10 }).trustworthiness).toBeGreaterThan(0.85);
    // three shards on the calling thread and two workers (each shard task gets a worker to itself)
    const three = umap(fixture.x, { seed: 4, nEpochs: 40, layoutShards: 3 });
    const pool2 = new MlWorkerPool(2);
    try {
      const threaded3 = await umapAsync(fixture.x, { seed: 4, nEpochs: 40, layoutShards: 3 }, pool2);
      expect(Array.from(threaded3.embedding.data)).toEqual(Array.from(three.embedding.data));
    } finally {
      await pool2.close();
    }
    // one shard is the sequential optimiser, with or without a pool
    const sequential = umap(fixture.x, { seed: 4, nEpochs: 120 });
    expect(Array.from((await umapAsync(fixture.x, { seed: 4, nEpochs: 120 }, null)).embedding.data)).toEqual(Array.from(sequential.embedding.data));
    expect(() => umap(fixture.x, { layoutShards: 0 })).toThrow(/layoutShards/);
  }, 30_000);

  it('approximates the exact kernel closely', () => {
    const fast = umap(fixture.x, { seed: 3, nEpochs: 100 });
    const exact = umap(fixture.x, { seed: 3, nEpochs: 100, exactKernel: true });
    const qf = embeddingQuality(fixture.x, fast.embedding, { k: 10 });
    const qe = embeddingQuality(fixture.x, exact.embedding, { k: 10 });
    expect(Math.abs(qf.trustworthiness - qe.trustworthiness)).toBeLessThan(0.02);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => umap(fromRows([[0, NaN], [1, 1], [2, 2]]), { nNeighbors: 2 })).toThrow(/non-finite value \(NaN\) at row 0, column 1/);
    expect(() => umap(fromRows([[0], [1], [2]]), { nNeighbors: 15 })).toThrow(/not enough for nNeighbors=15/);
    const g = exactKnn(fixture.x, 5);
    expect(() => umap(g, { nNeighbors: 15 })).toThrow(/the graph has 5/);
    expect(() => umap({ ...g, indices: g.indices.slice(1) })).toThrow(InvalidInputError);
    expect(() => umap(fixture.x, { minDist: 2 })).toThrow(/minDist/);
  });
});

describe('embedding quality', () => {
  it('is perfect for an isometric embedding and matches a brute-force trustworthiness', () => {
    const { x } = blobs(centers(3, 5, 4, 8), 30, 1, 9);
    const same = embeddingQuality(x, x, { k: 5 });
    expect(same.trustworthiness).toBe(1);
    expect(same.knnPreservation).toBe(1);
    const rng = new Random(2);
    const y: Matrix = { rows: x.rows, cols: 2, data: new Float64Array(x.rows * 2).map(() => rng.normal()) };
    const k = 5;
    const n = x.rows;
    let t = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const ranks = bruteKnn(x, i, n - 1);
      const nx = ranks.slice(0, k);
      for (const j of bruteKnn(y, i, k)) {
        if (nx.includes(j)) kept++;
        else t += ranks.indexOf(j) + 1 - k;
      }
    }
    const q = embeddingQuality(x, y, { k });
    expect(q.trustworthiness).toBeCloseTo(1 - (2 / (n * k * (2 * n - 3 * k - 1))) * t, 12);
    expect(q.knnPreservation).toBeCloseTo(kept / (n * k), 12);
    const sampled = embeddingQuality(x, y, { k, sampleSize: 60, seed: 1 });
    expect(sampled.evaluated).toBe(60);
    expect(Math.abs(sampled.trustworthiness - q.trustworthiness)).toBeLessThan(0.05);
  });

  it('takes any original geometry through a distance callback (same figures as the euclidean one)', () => {
    const { x } = blobs(centers(3, 5, 4, 8), 30, 1, 9);
    const rng = new Random(3);
    const y: Matrix = { rows: x.rows, cols: 2, data: new Float64Array(x.rows * 2).map(() => rng.normal()) };
    const viaCallback = embeddingQualityFrom(
      x.rows,
      (i, out) => {
        for (let j = 0; j < x.rows; j++) {
          let s = 0;
          for (let t = 0; t < x.cols; t++) s += (x.data[i * x.cols + t]! - x.data[j * x.cols + t]!) ** 2;
          out[j] = Math.sqrt(s); // a monotone transform of the squared distance: same ranks
        }
      },
      y,
      { k: 5 },
    );
    expect(viaCallback).toEqual(embeddingQuality(x, y, { k: 5 }));
  });
});
