/**
 * libs/ml benchmark: the seed pipeline (random forest 300 trees -> leaf-space kNN -> UMAP -> GMM k = 8..24 by
 * silhouette) per stage, with peak RSS, at the seed's 4.3k customers and 20k / 100k / 1M synthetic customers with the
 * seed's joint distribution; the silhouette at the seed's own settings (43-D UMAP, k = 22); agreement of assignment
 * methods with fitted labels; the RFM baseline; and ml-random-forest against our forest.
 *
 *   node -r @swc-node/register bench/ml.ts                 # every scenario, each in its own process
 *   node -r @swc-node/register bench/ml.ts seed 100k       # some of them
 *   node -r @swc-node/register bench/ml.ts seed --runs 5   # timed fits per scenario (default 3 for seed, 1 elsewhere)
 *   node -r @swc-node/register bench/ml.ts seed-quality --seeds 42,1,2 --umap-js
 *
 * Scenarios: rf-compare, seed, seed-quality, seed-43d, seed-geometry, 20k, 100k, 1m. Results also go to
 * bench/ml/results/<scenario>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { RandomForestRegression } from 'ml-random-forest';
import { Matrix, matrix, takeRows, toRows } from '../libs/ml/src/core/matrix';
import { GaussianMixture } from '../libs/ml/src/gmm/gaussian-mixture';
import { silhouetteScore } from '../libs/ml/src/silhouette/silhouette';
import { umap } from '../libs/ml/src/umap/umap';
import { embeddingQualityFrom } from '../libs/ml/src/umap/quality';
import { RandomForestRegressor } from '../libs/ml/src/forest/random-forest.model';
import { fitSegmentation, SegmentationFit } from '../libs/ml/src/pipeline/fit-segmentation';
import { SegmentationOptions, resolveSegmentationOptions } from '../libs/ml/src/pipeline/segmentation.options';
import { scoreRfm } from '../libs/ml/src/rfm/rfm.scoring';
import { adjustedRandIndex } from '../libs/ml/src/selection/ari';
import { sampleIndices } from '../libs/ml/src/core/random';
import { MemorySampler } from './ml/memory-sampler';
import { busiestThreadMs, threadCpuAvailable, threadTimes } from './ml/thread-cpu';
import { CustomerTable, loadSeedCustomers, syntheticCustomers } from './ml/seed-data';
import { median } from '@insiders/stats';

const SCENARIOS = ['rf-compare', 'seed', 'seed-quality', 'seed-43d', 'seed-geometry', '20k', '100k', '1m'] as const;
type Scenario = (typeof SCENARIOS)[number];
const STAGES = ['load', 'forest', 'apply', 'knn', 'umap', 'gmm', 'assign', 'done', 'evaluate'];
const SEED = 42;

const fmt = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function printCurve(fit: SegmentationFit): void {
  console.log('  k   silhouette   BIC            non-empty   ms');
  for (const p of fit.curve) {
    const mark = p.k === fit.k ? ' <- chosen' : '';
    console.log(`  ${String(p.k).padStart(2)}  ${Number.isNaN(p.silhouette) ? '   n/a  ' : p.silhouette.toFixed(4).padStart(8)}     ${p.bic.toExponential(4).padStart(12)}   ${String(p.nonEmpty).padStart(4)}   ${fmt(p.ms).padStart(8)}${mark}`);
  }
}


/** How many times the timed fit is repeated (`--runs N`; default 3 for the seed customers, 1 elsewhere). */
function runsArg(fallback: number): number {
  const i = process.argv.indexOf('--runs');
  return i >= 0 ? Math.max(1, Number(process.argv[i + 1])) : fallback;
}

interface TimedRun {
  fit: SegmentationFit;
  cpuMs: number;
  stageCpu: Record<string, number>;
  /** Per stage, the CPU of its busiest thread (see ml/thread-cpu.ts); their sum estimates an idle machine's wall time. */
  busiestMs: Record<string, number>;
  peakMB: number;
  perStageMB: Record<string, number>;
  load: number;
}

async function timedFit(data: CustomerTable, options: SegmentationOptions): Promise<TimedRun> {
  const mem = new MemorySampler(STAGES);
  mem.stage('load');
  const cpu0 = process.cpuUsage();
  const stageCpu: Record<string, number> = {};
  const busiestMs: Record<string, number> = {};
  let last = { stage: 'start', cpu: process.cpuUsage(), threads: threadTimes() };
  const fit = await fitSegmentation(data.features, data.target, { seed: SEED, ...options }, (stage) => {
    mem.stage(stage);
    if (stage !== last.stage) {
      const c = process.cpuUsage(last.cpu);
      const threads = threadTimes();
      stageCpu[last.stage] = (stageCpu[last.stage] ?? 0) + (c.user + c.system) / 1000;
      busiestMs[last.stage] = (busiestMs[last.stage] ?? 0) + busiestThreadMs(last.threads, threads);
      last = { stage, cpu: process.cpuUsage(), threads };
    }
  });
  const cpu = process.cpuUsage(cpu0);
  const memory = await mem.stop();
  return { fit, cpuMs: (cpu.user + cpu.system) / 1000, stageCpu, busiestMs, peakMB: memory.peak, perStageMB: memory.perStage, load: loadavg()[0]! };
}

async function runFit(name: string, data: CustomerTable, options: SegmentationOptions, evalRows: number, runs = 1): Promise<Record<string, unknown>> {
  console.log(`[${name}] ${data.features.rows} customers x ${data.features.cols} features, threads=${options.threads ?? 'auto'} (${availableParallelism()} cores), ${runs} run(s)`);
  const timed: TimedRun[] = [];
  for (let r = 0; r < runs; r++) {
    const run = await timedFit(data, options);
    timed.push(run);
    const t = run.fit.timings;
    console.log(
      `  run ${r + 1}: total ${fmt(t.total)} wall, ${fmt(run.cpuMs)} CPU | forest ${fmt(t.forest)} | leaf kNN ${fmt(t.knn)} | UMAP ${fmt(t.umap)} | k range ${fmt(t.selectK)}${t.assignRest ? ` | assign rest ${fmt(t.assignRest)}` : ''} | peak RSS ${run.peakMB} MB | load average ${run.load.toFixed(1)}`,
    );
  }
  const fit = timed[timed.length - 1]!.fit;
  const med = (f: (r: TimedRun) => number): number => median(timed.map(f));
  const stages = ['forest', 'apply', 'knn', 'umap', 'selectK', 'gmm', 'silhouette', 'assignRest', 'total'] as const;
  const timings = Object.fromEntries(stages.map((k) => [k, med((r) => r.fit.timings[k])])) as Record<(typeof stages)[number], number>;
  const cpuStages = Object.keys(timed[0]!.stageCpu);
  const stageCpu = Object.fromEntries(cpuStages.map((k) => [k, med((r) => r.stageCpu[k] ?? 0)]));
  const cpuMs = med((r) => r.cpuMs);
  const peak = Math.max(...timed.map((r) => r.peakMB));
  const loads = timed.map((r) => r.load);
  const t = timings;
  console.log(`  median of ${runs}: forest ${fmt(t.forest)} (leaves included) | leaf kNN ${fmt(t.knn)} | UMAP ${fmt(t.umap)} | k range ${fmt(t.selectK)} (GMM ${fmt(t.gmm)} + silhouette ${fmt(t.silhouette)} thread time)${t.assignRest ? ` | assign rest ${fmt(t.assignRest)}` : ''}`);
  console.log(`  CPU per stage (all threads, median): ${Object.entries(stageCpu).map(([k, v]) => `${k} ${fmt(v)}`).join(' | ')}`);
  const busiest = Object.fromEntries(cpuStages.map((k) => [k, med((r) => r.busiestMs[k] ?? 0)]));
  const idleEstimate = Object.values(busiest).reduce((a, b) => a + b, 0);
  if (threadCpuAvailable) {
    console.log(
      `  busiest thread's CPU per stage (median): ${Object.entries(busiest).map(([k, v]) => `${k} ${fmt(v)}`).join(' | ')} -> sum ${fmt(idleEstimate)}, the wall time to expect on an idle machine (CPU-bound stages, one after the other)`,
    );
  }
  console.log(`  total fit ${fmt(t.total)} wall (median), ${fmt(cpuMs)} CPU (all threads); load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on ${availableParallelism()} cores; peak RSS ${peak} MB; per stage ${JSON.stringify(timed[timed.length - 1]!.perStageMB)}`);
  if (runs > 1) console.log(`  same labels in every run: ${timed.every((r) => r.fit.labels.every((l, i) => l === fit.labels[i]))}`);
  printCurve(fit);
  console.log(`  chosen k=${fit.k} silhouette ${fit.silhouette.toFixed(4)}`);
  const tEval = performance.now();
  const evaluation = fit.model.evaluateAssignment(evalRows, 1);
  const evalMs = performance.now() - tEval;
  const a = evaluation.agreement;
  console.log(
    `  assignment agreement with fitted labels (${evaluation.rows} fitted customers placed as new, ${fmt(evalMs)}): leaf vote (similarity) ${(100 * a.leafVoteSimilarity).toFixed(2)}% | uniform vote ${(100 * a.leafVoteUniform).toFixed(2)}% | nearest neighbour ${(100 * a.nearestNeighbour).toFixed(2)}% | neighbours' embedding mean -> GMM ${(100 * a.embeddingAverageGmm).toFixed(2)}%; mean vote share ${evaluation.meanVoteShare.toFixed(3)}`,
  );
  return {
    rows: data.features.rows,
    runs,
    options: fit.model.options,
    timings,
    perRun: timed.map((r) => ({ timings: r.fit.timings, cpuMs: r.cpuMs, stageCpu: r.stageCpu, busiestThreadMs: r.busiestMs, peakMB: r.peakMB, loadAverage: r.load })),
    cpuMs,
    stageCpu,
    busiestThreadMs: busiest,
    idleWallEstimateMs: threadCpuAvailable ? idleEstimate : null,
    loadAverage: loads,
    memoryMB: { peak, perStage: timed[timed.length - 1]!.perStageMB },
    k: fit.k,
    silhouette: fit.silhouette,
    curve: fit.curve,
    assignment: { ...evaluation, ms: evalMs },
    fit,
  };
}

/** Trustworthiness and kNN preservation (k = 15, every customer) of a fit's embedding against its leaf-space distances. */
function leafSpaceQuality(fit: SegmentationFit): { trustworthiness: number; knnPreservation: number } {
  const m = fit.model;
  const T = m.forest.nTrees;
  const leaves = m.forest.apply(m.fittedFeatures);
  const index = m.leafIndex;
  const q = embeddingQualityFrom(m.nFitted, (i, out) => index.distancesFrom(leaves, i * T, out), m.embedding, { k: 15 });
  return { trustworthiness: q.trustworthiness, knnPreservation: q.knnPreservation };
}

/**
 * Embedding quality on the seed customers for several seeds: the same forest and leaf graph embedded by our UMAP with
 * the sequential optimiser (1 shard), with the default 2 shards, and by umap-js (`--umap-js`); per embedding the
 * leaf-space trustworthiness / kNN preservation, the chosen k and its silhouette, and assignment agreement.
 */
async function seedQuality(): Promise<Record<string, unknown>> {
  const data = loadSeedCustomers(true);
  const i = process.argv.indexOf('--seeds');
  const seeds = (i >= 0 ? process.argv[i + 1]! : '42,1,2').split(',').map(Number);
  const variants: [string, SegmentationOptions][] = [
    ['libs/ml, 1 shard (sequential SGD)', { umap: { layoutShards: 1 } }],
    ['libs/ml, 2 shards (default)', { umap: { layoutShards: 2 } }],
  ];
  if (process.argv.includes('--umap-js')) variants.push(['umap-js 1.4 (same graph)', { umap: { engine: 'umap-js' } }]);
  console.log(`[seed-quality] ${data.features.rows} seed customers, seeds ${seeds.join(', ')}: leaf-space trustworthiness / kNN preservation (k=15) of the 5-D embedding, chosen k and silhouette, leaf-vote agreement`);
  const rows: Record<string, unknown>[] = [];
  for (const [label, o] of variants) {
    const per: { seed: number; k: number; silhouette: number; trustworthiness: number; knnPreservation: number; leafVote: number; umapMs: number }[] = [];
    for (const seed of seeds) {
      const fit = await fitSegmentation(data.features, data.target, { seed, ...o });
      const q = leafSpaceQuality(fit);
      const vote = fit.model.evaluateAssignment(data.features.rows, 1).agreement.leafVoteSimilarity;
      per.push({ seed, k: fit.k, silhouette: fit.silhouette, ...q, leafVote: vote, umapMs: fit.timings.umap });
      console.log(`  ${label.padEnd(34)} seed ${String(seed).padStart(3)}: k=${fit.k} silhouette ${fit.silhouette.toFixed(4)} | trustworthiness ${q.trustworthiness.toFixed(4)} | kNN preservation ${q.knnPreservation.toFixed(4)} | leaf vote ${(100 * vote).toFixed(2)}% | UMAP ${fmt(fit.timings.umap)}`);
    }
    const mean = (f: (p: (typeof per)[number]) => number): number => per.reduce((acc, p) => acc + f(p), 0) / per.length;
    console.log(`  ${label.padEnd(34)} mean: silhouette ${mean((p) => p.silhouette).toFixed(4)} | trustworthiness ${mean((p) => p.trustworthiness).toFixed(4)} | kNN preservation ${mean((p) => p.knnPreservation).toFixed(4)} | leaf vote ${(100 * mean((p) => p.leafVote)).toFixed(2)}%`);
    rows.push({ variant: label, per });
  }
  return { seeds, variants: rows };
}

function rfmReport(data: CustomerTable, labels: Int32Array): Record<string, unknown> {
  // recency_days, qtde_products (lines), frequency (invoices/day span), monetary = gross_revenue
  const n = data.features.rows;
  const col = (j: number): Float64Array => Float64Array.from({ length: n }, (_, i) => data.features.data[i * data.features.cols + j]!);
  const rfm = scoreRfm({ recencyDays: col(0), frequency: col(2), monetary: data.target });
  const counts: Record<string, number> = {};
  for (const s of rfm.segment) counts[s] = (counts[s] ?? 0) + 1;
  const codes = Int32Array.from(rfm.segment, (s) => Object.keys(counts).indexOf(s));
  const ari = adjustedRandIndex(codes, labels);
  console.log(`  RFM baseline: ${Object.entries(counts).sort((x, y) => y[1] - x[1]).map(([s, c]) => `${s} ${c}`).join(', ')}`);
  console.log(`  ARI(RFM segments, ML segments) = ${ari.toFixed(3)}`);
  return { counts, ariWithMl: ari };
}

/**
 * True hold-out: fit on 80% of the customers, assign the other 20% through that model, and compare with the labels
 * the full fit gave them (segment ids matched by majority over the 80% both fits share).
 */
async function holdoutAgreement(data: CustomerTable, fullLabels: Int32Array): Promise<Record<string, number>> {
  const n = data.features.rows;
  const train = sampleIndices(n, Math.round(0.8 * n), 99);
  const inTrain = new Uint8Array(n);
  for (const i of train) inTrain[i] = 1;
  const test = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !inTrain[i]);
  const part = await fitSegmentation(takeRows(data.features, train), Float64Array.from(train, (i) => data.target[i]!), { seed: SEED });
  const votes = new Map<number, Map<number, number>>();
  train.forEach((i, r) => {
    const m = votes.get(part.labels[r]!) ?? new Map<number, number>();
    m.set(fullLabels[i]!, (m.get(fullLabels[i]!) ?? 0) + 1);
    votes.set(part.labels[r]!, m);
  });
  const map = new Map([...votes].map(([l, m]) => [l, [...m].sort((a, b) => b[1] - a[1])[0]![0]]));
  const assigned = part.model.assign(takeRows(data.features, test)).labels;
  let agree = 0;
  test.forEach((i, q) => (agree += map.get(assigned[q]!) === fullLabels[i] ? 1 : 0));
  let trainAgree = 0;
  train.forEach((i, r) => (trainAgree += map.get(part.labels[r]!) === fullLabels[i] ? 1 : 0));
  const heldOut = agree / test.length;
  const refit = trainAgree / train.length;
  console.log(
    `  hold-out: fit on 80% (k=${part.k}), assign the other ${test.length}: ${(100 * heldOut).toFixed(2)}% carry the full fit's segment (ceiling: the two fits agree on ${(100 * refit).toFixed(2)}% of the shared 80%; ARI ${adjustedRandIndex(part.labels, Int32Array.from(train, (i) => fullLabels[i]!)).toFixed(3)})`,
  );
  return { heldOut, refitAgreementOnShared: refit, partK: part.k };
}

/**
 * The seed project's own geometry for comparison: sklearn's apply() node ids fed to UMAP with the euclidean metric
 * (instead of our shared-leaf / Hamming neighbours), then GMM full at k = 22, exact silhouette.
 */
async function seedGeometry(): Promise<Record<string, unknown>> {
  const data = loadSeedCustomers(true);
  const forest = RandomForestRegressor.fit(data.features, data.target, { nTrees: 300, seed: SEED });
  const ids = forest.applyNodeIds(data.features);
  const X = matrix(data.features.rows, forest.nTrees, Float64Array.from(ids));
  const out: Record<string, unknown> = {};
  console.log(`[seed-geometry] ${X.rows} seed customers: node ids of 300 trees, euclidean UMAP (as the seed project), GMM full k=22`);
  for (const dims of [2, 43]) {
    const t0 = performance.now();
    const emb = umap(X, { nComponents: dims, seed: SEED }).embedding;
    const t1 = performance.now();
    const gmm = GaussianMixture.fit(emb, { k: 22, covariance: 'full', nInit: 1, seed: SEED });
    const labels = gmm.predict(emb);
    const sil = silhouetteScore(emb, labels);
    const t2 = performance.now();
    console.log(`  ${dims}-D: silhouette ${sil.toFixed(4)} at k=22 (UMAP ${fmt(t1 - t0)}, GMM + silhouette ${fmt(t2 - t1)})`);
    out[`${dims}d`] = { silhouette: sil, umapMs: t1 - t0, gmmMs: t2 - t1 };
  }
  return out;
}

async function rfCompare(): Promise<Record<string, unknown>> {
  const seed = loadSeedCustomers(true);
  const n = 1000;
  const rows = sampleIndices(seed.features.rows, n, 7);
  const X: Matrix = takeRows(seed.features, rows);
  const y = Float64Array.from(rows, (i) => seed.target[i]!);
  const mlTrees = 3;
  let t = performance.now();
  const ml = new RandomForestRegression({ nEstimators: mlTrees, seed: 1, maxFeatures: 1.0, replacement: true, useSampleBagging: true, noOOB: true });
  ml.train(toRows(X), Array.from(y));
  const mlMs = performance.now() - t;
  t = performance.now();
  RandomForestRegressor.fit(X, y, { nTrees: 300, seed: 1 });
  const oursMs = performance.now() - t;
  const perTreeMl = mlMs / mlTrees;
  const perTreeOurs = oursMs / 300;
  console.log(`[rf-compare] ${n} seed customers x ${X.cols} features, full-depth trees with bootstrap`);
  console.log(`  ml-random-forest: ${mlTrees} trees in ${fmt(mlMs)} (${fmt(perTreeMl)}/tree; no per-tree leaf index)`);
  console.log(`  libs/ml forest:   300 trees in ${fmt(oursMs)} (${(perTreeOurs).toFixed(2)} ms/tree) -> ${Math.round(perTreeMl / perTreeOurs)}x faster per tree`);
  const full = { X: seed.features, y: seed.target };
  const threads: Record<string, number> = {};
  for (const w of [1, 2]) {
    t = performance.now();
    await RandomForestRegressor.fitAsync(full.X, full.y, { nTrees: 300, seed: 1, workers: w });
    threads[w] = performance.now() - t;
  }
  t = performance.now();
  const f = RandomForestRegressor.fit(full.X, full.y, { nTrees: 300, seed: 1 });
  f.apply(full.X);
  const applyMs = performance.now() - t - 0;
  console.log(`  libs/ml forest at ${full.X.rows} customers, 300 trees: 1 thread ${fmt(threads[1]!)}, 2 threads ${fmt(threads[2]!)} (incl. worker start-up); fit+apply ${fmt(applyMs)}`);
  return { n, mlTrees, mlMs, oursMs, speedupPerTree: perTreeMl / perTreeOurs, seedRows: full.X.rows, forestThreadsMs: threads };
}

async function runScenario(s: Scenario): Promise<Record<string, unknown>> {
  if (s === 'rf-compare') return rfCompare();
  if (s === 'seed-quality') return seedQuality();
  if (s === 'seed-geometry') return seedGeometry();
  const seed = loadSeedCustomers(true);
  if (s === 'seed') {
    const r = await runFit('seed 4.3k, default settings', seed, { ids: seed.ids }, seed.features.rows, runsArg(3));
    const fit = r.fit as SegmentationFit;
    const at22 = fit.curve.find((p) => p.k === 22);
    console.log(`  silhouette at k=22 with the default ${fit.model.options.umap.nComponents}-D embedding: ${at22?.silhouette.toFixed(4)}`);
    console.log(`  ARI(seed project's own clusters, ours) = ${adjustedRandIndex(seed.seedCluster, fit.labels).toFixed(3)}`);
    const quality = leafSpaceQuality(fit);
    console.log(`  embedding vs leaf space (k=15, every customer): trustworthiness ${quality.trustworthiness.toFixed(4)}, kNN preservation ${quality.knnPreservation.toFixed(4)} (umap-js on the same graph: bench/ml.ts seed-quality --umap-js)`);
    const rfm = rfmReport(seed, fit.labels);
    const oneThread = await fitSegmentation(seed.features, seed.target, { seed: SEED, ids: seed.ids, threads: 1 });
    const same = oneThread.labels.every((l, i) => l === fit.labels[i]);
    console.log(`  refit with the same seed on 1 thread (${fmt(oneThread.timings.total)}): labels identical = ${same}`);
    const holdout = await holdoutAgreement(seed, fit.labels);
    return { ...r, embeddingQuality: quality, rfm, deterministic: same, holdout };
  }
  if (s === 'seed-43d') {
    // the seed project's settings: RF 300 trees, UMAP 43-D (umap-learn defaults: min_dist 0.1, 500 epochs below 10k), GMM full, k = 22
    return runFit('seed 4.3k, seed settings (43-D UMAP, k=22)', seed, { umap: { nComponents: 43, minDist: 0.1, nEpochs: 500 }, gmm: { kMin: 22, kMax: 22, nInit: 1 } }, seed.features.rows);
  }
  const n = s === '20k' ? 20_000 : s === '100k' ? 100_000 : 1_000_000;
  const data = syntheticCustomers(seed, n, n);
  const sample = resolveSegmentationOptions().fitSampleSize;
  return runFit(`synthetic ${s}${n > sample ? ` (fit on a ${sample / 1000}k sample, the rest assigned)` : ''}`, data, {}, 5000);
}

function runChild(s: Scenario, options: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=8192', '-r', '@swc-node/register', __filename, '--run', s, ...options], { stdio: 'inherit', cwd: join(__dirname, '..') });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scenario ${s} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--run') {
    const s = args[1] as Scenario;
    const result = await runScenario(s);
    const { fit: _fit, ...rest } = result;
    void _fit;
    const dir = join(__dirname, 'ml', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${s}.json`), JSON.stringify({ scenario: s, at: new Date().toISOString(), ...rest }, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2));
    return;
  }
  // options (--runs N, --seeds 1,2,3, --umap-js) are passed on to every scenario's process
  const passOn: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs' || args[i] === '--seeds') passOn.push(args[i]!, args[++i]!);
    else if (args[i]!.startsWith('--')) passOn.push(args[i]!);
    else names.push(args[i]!);
  }
  const chosen = names.length ? names : [...SCENARIOS];
  for (const s of chosen) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
  }
  for (const s of chosen as Scenario[]) {
    await runChild(s, passOn);
    console.log('');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
