import { InvalidInputError, Matrix, assertFinite, matrix } from '../core/matrix';
import { Random } from '../core/random';

export interface KMeansOptions {
  k: number;
  /** Independent k-means++ restarts; the lowest inertia wins. Default 4. */
  nInit?: number;
  /** Lloyd iterations per restart. Default 300. */
  maxIter?: number;
  /** Convergence when the squared centre shift falls below tol x mean feature variance (sklearn semantics). Default 1e-4. */
  tol?: number;
  seed?: number;
}

export interface KMeansResult {
  k: number;
  /** k x cols. */
  centroids: Matrix;
  labels: Int32Array;
  /** Sum of squared distances to the assigned centroid. */
  inertia: number;
  iterations: number;
}

function sqDist(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = a[ao + j]! - b[bo + j]!;
    s += t * t;
  }
  return s;
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii with 2 + ln k local trials, as in scikit-learn). Throws when the data
 * has fewer than k distinct points, since k distinct centres cannot then be chosen.
 */
export function kmeansPlusPlus(x: Matrix, k: number, rng: Random): Float64Array {
  const { rows: n, cols: d, data } = x;
  if (k < 1 || k > n) throw new InvalidInputError(`k-means++: k=${k} must be between 1 and the number of rows (${n})`);
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.int(n);
  centers.set(data.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) pot += closest[i] = sqDist(data, i * d, centers, 0, d);
  const cand = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    if (!(pot > 0)) {
      throw new InvalidInputError(`k=${k} exceeds the number of distinct points (${c}); choose a smaller k`);
    }
    let bestPot = Infinity;
    let bestIdx = -1;
    for (let t = 0; t < trials; t++) {
      // sample proportional to D²
      let r = rng.next() * pot;
      let idx = 0;
      for (; idx < n - 1; idx++) {
        r -= closest[idx]!;
        if (r < 0) break;
      }
      while (closest[idx] === 0 && idx > 0) idx--; // never pick a point already at distance 0
      let p = 0;
      for (let i = 0; i < n; i++) {
        const dd = Math.min(closest[i]!, sqDist(data, i * d, data, idx * d, d));
        cand[i] = dd;
        p += dd;
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        best.set(cand);
      }
    }
    if (closest[bestIdx] === 0) {
      throw new InvalidInputError(`k=${k} exceeds the number of distinct points (${c}); choose a smaller k`);
    }
    centers.set(data.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(best);
    pot = bestPot;
  }
  return centers;
}

/** Assigns each row to its nearest centre; returns the labels and the squared distances. */
export function assignNearest(x: Matrix, centers: Float64Array, k: number, labels = new Int32Array(x.rows), dist2 = new Float64Array(x.rows)) {
  const { rows: n, cols: d, data } = x;
  for (let i = 0; i < n; i++) {
    let bd = Infinity;
    let bl = 0;
    for (let c = 0; c < k; c++) {
      const dd = sqDist(data, i * d, centers, c * d, d);
      if (dd < bd) {
        bd = dd;
        bl = c;
      }
    }
    labels[i] = bl;
    dist2[i] = bd;
  }
  return { labels, dist2 };
}

function meanVariance(x: Matrix): number {
  const { rows: n, cols: d, data } = x;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * d + j]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j]! - m) ** 2;
    total += v / n;
  }
  return total / d;
}

/**
 * Lloyd iterations from given centres (modified in place), accelerated with Hamerly's bounds: per point an upper
 * bound on the distance to its centre and a lower bound on the distance to every other centre, both moved by how
 * far the centres moved. A point whose bounds cannot have crossed (upper <= max(lower, half the distance from its
 * centre to the nearest other centre)) keeps its centre without computing any distance, so after the first few
 * iterations most points cost O(1). The assignments are Lloyd's (up to exact ties), and so is the result.
 * Stops when no label changes or the centres moved by at most tolAbs (squared, summed). Empty clusters are
 * re-seeded at the point farthest from its centre.
 */
export function lloyd(x: Matrix, centers: Float64Array, k: number, maxIter: number, tolAbs: number) {
  const { rows: n, cols: d, data } = x;
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const half = new Float64Array(k);
  const moved = new Float64Array(k);
  /** Exact nearest and second-nearest centre of point i: sets labels, upper and lower. */
  const scan = (i: number): void => {
    let b1 = Infinity;
    let b2 = Infinity;
    let bl = 0;
    for (let c = 0; c < k; c++) {
      const dd = sqDist(data, i * d, centers, c * d, d);
      if (dd < b1) {
        b2 = b1;
        b1 = dd;
        bl = c;
      } else if (dd < b2) {
        b2 = dd;
      }
    }
    labels[i] = bl;
    upper[i] = Math.sqrt(b1);
    lower[i] = Math.sqrt(b2);
  };
  for (let i = 0; i < n; i++) scan(i);
  let iterations = 0;
  let converged = false;
  for (let it = 0; it < maxIter; it++) {
    iterations = it + 1;
    if (it > 0) {
      // assignment step, skipping points whose bounds prove their centre is still the nearest
      for (let c = 0; c < k; c++) {
        let m = Infinity;
        for (let o = 0; o < k; o++) if (o !== c) m = Math.min(m, sqDist(centers, c * d, centers, o * d, d));
        half[c] = Math.sqrt(m) / 2;
      }
      let changed = 0;
      for (let i = 0; i < n; i++) {
        const a = labels[i]!;
        const bound = Math.max(half[a]!, lower[i]!);
        if (upper[i]! <= bound) continue;
        upper[i] = Math.sqrt(sqDist(data, i * d, centers, a * d, d));
        if (upper[i]! <= bound) continue;
        scan(i);
        if (labels[i] !== a) changed++;
      }
      if (changed === 0) break;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += data[i * d + j]!;
    }
    let far2: Float64Array | null = null;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // relocate to the point farthest from its centre (exact distances: the bounds are only bounds); a point
        // taken once is not taken again
        if (!far2) {
          far2 = new Float64Array(n);
          for (let i = 0; i < n; i++) far2[i] = sqDist(data, i * d, centers, labels[i]! * d, d);
        }
        let far = 0;
        for (let i = 1; i < n; i++) if (far2[i]! > far2[far]!) far = i;
        far2[far] = 0;
        for (let j = 0; j < d; j++) sums[c * d + j] = data[far * d + j]!;
        counts[c] = 1;
      }
    }
    let shift = 0;
    let maxMove = 0;
    let maxAt = 0;
    let secondMove = 0;
    for (let c = 0; c < k; c++) {
      let m = 0;
      for (let j = 0; j < d; j++) {
        const v = sums[c * d + j]! / counts[c]!;
        m += (v - centers[c * d + j]!) ** 2;
        centers[c * d + j] = v;
      }
      shift += m;
      moved[c] = Math.sqrt(m);
      if (moved[c]! > maxMove) {
        secondMove = maxMove;
        maxMove = moved[c]!;
        maxAt = c;
      } else if (moved[c]! > secondMove) {
        secondMove = moved[c]!;
      }
    }
    // bounds follow the centres: the own centre moved by moved[a], any other by at most the largest other move
    for (let i = 0; i < n; i++) {
      const a = labels[i]!;
      upper[i] += moved[a]!;
      lower[i] -= a === maxAt ? secondMove : maxMove;
    }
    if (shift <= tolAbs) {
      converged = true;
      break;
    }
  }
  // final labels against the final centres (a no-op when the last assignment step changed nothing)
  if (converged || iterations === maxIter) for (let i = 0; i < n; i++) scan(i);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(data, i * d, centers, labels[i]! * d, d);
  return { labels, inertia, iterations };
}

/** K-means (k-means++ seeding, Lloyd), seeded and deterministic. */
export function kmeans(x: Matrix, options: KMeansOptions): KMeansResult {
  assertFinite(x, 'k-means input');
  const { k, nInit = 4, maxIter = 300, tol = 1e-4, seed = 0 } = options;
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`k-means: k must be a positive integer, got ${k}`);
  if (x.rows < k) throw new InvalidInputError(`k-means: k=${k} exceeds the number of rows (${x.rows})`);
  const rng = new Random(seed);
  const tolAbs = tol * meanVariance(x);
  let best: KMeansResult | null = null;
  for (let r = 0; r < Math.max(1, nInit); r++) {
    const centers = kmeansPlusPlus(x, k, rng.fork());
    const { labels, inertia, iterations } = lloyd(x, centers, k, maxIter, tolAbs);
    if (!best || inertia < best.inertia) best = { k, centroids: matrix(k, x.cols, centers), labels, inertia, iterations };
  }
  return best!;
}

/** Nearest-centroid labels for new rows. */
export function kmeansPredict(model: Pick<KMeansResult, 'centroids' | 'k'>, x: Matrix): Int32Array {
  assertFinite(x, 'k-means predict input');
  if (x.cols !== model.centroids.cols) throw new InvalidInputError(`k-means predict: ${x.cols} columns, model has ${model.centroids.cols}`);
  return assignNearest(x, model.centroids.data, model.k).labels;
}
