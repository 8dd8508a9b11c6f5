/**
 * UMAP quality and speed: libs/ml's typed-array UMAP vs umap-js on the same inputs.
 *
 *   node -r @swc-node/register bench/umap-quality.ts [--runs 3] [--dims 2] [--epochs 500] [--datasets blobs,customers]
 *     [--impls spectral,random,shards,umap-js]
 *   node -r @swc-node/register bench/umap-quality.ts --large 100000 [--dims 2] [--epochs 200]
 *
 * Comparison mode: for every data set and run (seed = run index) both implementations embed the data with the same
 * nNeighbors (15), minDist (0.1) and epochs; reported are medians over runs of wall time, CPU time of this process
 * (the machine may be shared), trustworthiness and kNN preservation (k = 15, every point). "ours (random init)" uses
 * umap-js's initialisation to separate the effect of the spectral start from the optimiser; "ours (2 shards)" the
 * SGD split into two vertex shards as the segmentation pipeline runs it (UmapOptions.layoutShards).
 * Large mode: only libs/ml (umap-js needs ~6 GB at 100k), stage timings, peak RSS and sampled quality (1000 points).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UMAP } from 'umap-js';
import { Matrix } from '../libs/ml/src/core/matrix';
import { Random } from '../libs/ml/src/core/random';
import { embeddingQuality } from '../libs/ml/src/umap/quality';
import { umap } from '../libs/ml/src/umap/umap';
import { median } from '@insiders/stats';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Gaussian clusters: `clusters` centres N(0, 6²) in `dims` dimensions, unit-ish spread, uneven sizes. */
function syntheticClusters(n: number, dims: number, clusters: number, seed: number): Matrix {
  const rng = new Random(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dims }, () => rng.normal() * 6));
  const spread = Array.from({ length: clusters }, () => 0.8 + rng.next() * 1.2);
  const weights = Array.from({ length: clusters }, () => 0.5 + rng.next());
  const total = weights.reduce((a, b) => a + b, 0);
  const data = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) {
    let r = rng.next() * total;
    let c = 0;
    while (c < clusters - 1 && (r -= weights[c]!) > 0) c++;
    for (let j = 0; j < dims; j++) data[i * dims + j] = centres[c]![j]! + spread[c]! * rng.normal();
  }
  return { rows: n, cols: dims, data };
}

/** The seed project's 5,695 customers (5 features), signed log1p then z-scored. */
function seedCustomers(): Matrix {
  const text = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'reference-features-seed-ian.csv'), 'utf8').trim().split('\n');
  const cols = ['gross_revenue', 'recency_days', 'qtde_products', 'frequency', 'qtde_returns'];
  const header = text[0]!.split(',');
  const at = cols.map((c) => header.indexOf(c));
  const n = text.length - 1;
  const d = cols.length;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const f = text[i + 1]!.split(',');
    at.forEach((p, j) => {
      const v = Number(f[p]);
      data[i * d + j] = Math.sign(v) * Math.log1p(Math.abs(v));
    });
  }
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + j]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j]! - m) ** 2;
    const s = Math.sqrt(v / n) || 1;
    for (let i = 0; i < n; i++) data[i * d + j] = (data[i * d + j]! - m) / s;
  }
  return { rows: n, cols: d, data };
}


interface Measure {
  wallMs: number;
  cpuMs: number;
  trust: number;
  knn: number;
}

function measure(x: Matrix, run: () => Matrix): Measure {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const y = run();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const q = embeddingQuality(x, y, { k: 15 });
  return { wallMs, cpuMs: (c.user + c.system) / 1000, trust: q.trustworthiness, knn: q.knnPreservation };
}

function runUmapJs(x: Matrix, dims: number, epochs: number, seed: number): Matrix {
  const rows = Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols)));
  const rng = new Random(seed);
  const u = new UMAP({ nComponents: dims, nNeighbors: 15, minDist: 0.1, nEpochs: epochs, random: () => rng.next() });
  const out = u.fit(rows);
  return { rows: x.rows, cols: dims, data: Float64Array.from(out.flat()) };
}

function compare(): void {
  const runs = Number(arg('runs', '3'));
  const dims = Number(arg('dims', '2'));
  const epochs = Number(arg('epochs', '500'));
  const sets = arg('datasets', 'blobs,customers').split(',');
  console.log(`UMAP ${dims}-D, nNeighbors 15, minDist 0.1, ${epochs} epochs, medians over ${runs} runs (seeds 0..${runs - 1})`);
  console.log('data set                  | implementation        | wall s | cpu s | trustworthiness | kNN preservation');
  console.log('--------------------------|-----------------------|--------|-------|-----------------|-----------------');
  for (const name of sets) {
    const x = name === 'customers' ? seedCustomers() : syntheticClusters(4000, 20, 10, 42);
    const label = name === 'customers' ? `seed customers ${x.rows}x${x.cols}` : `clusters ${x.rows}x${x.cols}`;
    const impls: [string, (seed: number) => Matrix][] = [
      ['libs/ml (spectral)', (seed) => umap(x, { nComponents: dims, nEpochs: epochs, seed }).embedding],
      ['libs/ml (random init)', (seed) => umap(x, { nComponents: dims, nEpochs: epochs, seed, init: 'random' }).embedding],
      // the pipeline's SGD: two vertex shards (run here one after the other; on two threads the result is the same)
      ['libs/ml (2 shards)', (seed) => umap(x, { nComponents: dims, nEpochs: epochs, seed, layoutShards: 2 }).embedding],
      ['umap-js 1.4', (seed) => runUmapJs(x, dims, epochs, seed)],
    ];
    const wanted = arg('impls', 'spectral,random,shards,umap-js').split(',');
    for (const [impl, fn] of impls.filter(([name]) => wanted.some((w) => name.includes(w)))) {
      const ms: Measure[] = [];
      for (let r = 0; r < runs; r++) ms.push(measure(x, () => fn(r)));
      const row = [
        label.padEnd(25),
        impl.padEnd(21),
        (median(ms.map((m) => m.wallMs)) / 1000).toFixed(2).padStart(6),
        (median(ms.map((m) => m.cpuMs)) / 1000).toFixed(2).padStart(5),
        median(ms.map((m) => m.trust)).toFixed(4).padStart(15),
        median(ms.map((m) => m.knn)).toFixed(4).padStart(16),
      ];
      console.log(row.join(' | '));
    }
  }
}

function large(n: number): void {
  const dims = Number(arg('dims', '2'));
  const epochs = arg('epochs', '');
  const inputDims = Number(arg('input-dims', '20'));
  const x = syntheticClusters(n, inputDims, 20, 7);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  timer.unref();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const cpuS = () => {
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) / 1e6).toFixed(1);
  };
  const r = umap(x, {
    nComponents: dims,
    seed: 1,
    nEpochs: epochs ? Number(epochs) : undefined,
    onEpoch: (e, total) => {
      peak = Math.max(peak, process.memoryUsage().rss);
      if (e === 1 || e % 25 === 0) console.log(`  epoch ${e}/${total}: wall ${((performance.now() - t0) / 1000).toFixed(1)} s, cpu ${cpuS()} s`);
    },
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  const q = embeddingQuality(x, r.embedding, { k: 15, sampleSize: 1000, seed: 1 });
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log(`libs/ml UMAP at n=${n} (${inputDims}-D clusters -> ${dims}-D, ${r.nEpochs} epochs, NN-descent kNN)`);
  console.log(`  wall ${s(wall)} s, cpu ${s((cpu.user + cpu.system) / 1000)} s: kNN ${s(r.timings.knn)} s, graph ${s(r.timings.graph)} s, init ${s(r.timings.init)} s, SGD ${s(r.timings.optimize)} s`);
  console.log(`  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, graph edges ${r.graph.indices.length}`);
  console.log(`  trustworthiness ${q.trustworthiness.toFixed(4)}, kNN preservation ${q.knnPreservation.toFixed(4)} (k=15, 1000 sampled points)`);
}

const largeN = arg('large', '');
if (largeN) large(Number(largeN));
else compare();
