import { matchSegments } from './matching';

/** Builds aligned label arrays from [previousId|null, newIndex, count] triples. */
function labels(groups: [number | null, number, number][]): { previousLabels: (number | null)[]; nextLabels: number[] } {
  const previousLabels: (number | null)[] = [];
  const nextLabels: number[] = [];
  for (const [p, n, c] of groups) {
    for (let i = 0; i < c; i++) {
      previousLabels.push(p);
      nextLabels.push(n);
    }
  }
  return { previousLabels, nextLabels };
}

describe('matchSegments', () => {
  it('keeps ids when the new clusters are a relabelling of the old ones', () => {
    const l = labels([
      [10, 2, 50],
      [11, 0, 30],
      [12, 1, 20],
    ]);
    const r = matchSegments({ previousIds: [10, 11, 12], nextCount: 3, ...l, nextFreshId: 13 });
    expect(r.segments.map((s) => s.id)).toEqual([11, 12, 10]);
    expect(r.segments.every((s) => s.origin === 'survived')).toBe(true);
    expect(r.lineage).toEqual({
      survived: [
        { id: 11, jaccard: 1 },
        { id: 12, jaccard: 1 },
        { id: 10, jaccard: 1 },
      ],
      splits: [],
      merges: [],
      born: [],
      died: [],
    });
  });

  it('records a split: the larger part keeps the id, the other part gets a fresh id', () => {
    const l = labels([
      [1, 0, 60],
      [1, 1, 40],
      [2, 2, 50],
    ]);
    const r = matchSegments({ previousIds: [1, 2], nextCount: 3, ...l, nextFreshId: 3 });
    expect(r.segments.map((s) => [s.id, s.origin])).toEqual([
      [1, 'survived'],
      [3, 'split'],
      [2, 'survived'],
    ]);
    expect(r.segments[1]!.parents).toEqual([1]);
    expect(r.lineage.splits).toEqual([{ from: 1, into: [1, 3] }]);
    expect(r.lineage.born).toEqual([]);
  });

  it('records a merge and the absorbed segment is not reported dead', () => {
    const l = labels([
      [1, 0, 70],
      [2, 0, 30],
      [3, 1, 50],
    ]);
    const r = matchSegments({ previousIds: [1, 2, 3], nextCount: 2, ...l, nextFreshId: 4 });
    expect(r.segments.map((s) => [s.id, s.origin])).toEqual([
      [1, 'merged'],
      [3, 'survived'],
    ]);
    expect(r.segments[0]!.parents).toEqual([1, 2]);
    expect(r.lineage.merges).toEqual([{ from: [1, 2], into: 1 }]);
    expect(r.lineage.died).toEqual([]);
  });

  it('records births (new customers only) and deaths (members gone), never reusing ids', () => {
    const l = labels([
      [1, 0, 50],
      [null, 1, 20],
    ]);
    const r = matchSegments({ previousIds: [1, 2], nextCount: 2, ...l, nextFreshId: 9 });
    expect(r.segments.map((s) => [s.id, s.origin])).toEqual([
      [1, 'survived'],
      [9, 'born'],
    ]);
    expect(r.lineage.born).toEqual([9]);
    expect(r.lineage.died).toEqual([2]);
    expect(r.nextFreshId).toBe(10);
  });

  it('prefers the globally best assignment over greedy choices', () => {
    // Greedy would give new 0 to prev 1 (Jaccard 0.5) and leave prev 2 with a poor match.
    const l = labels([
      [1, 0, 50],
      [1, 1, 45],
      [2, 0, 45],
      [2, 1, 5],
    ]);
    const r = matchSegments({ previousIds: [1, 2], nextCount: 2, ...l, nextFreshId: 3 });
    expect(r.segments.map((s) => s.id)).toEqual([2, 1]);
  });

  it('falls back on centroid distance when no customer is common to both fits', () => {
    const r = matchSegments({
      previousIds: [5, 6],
      nextCount: 2,
      previousLabels: [null, null],
      nextLabels: [0, 1],
      previousCentroids: new Map([
        [5, [0, 0]],
        [6, [10, 10]],
      ]),
      nextCentroids: [
        [10, 9.5],
        [0.5, 0],
      ],
      nextFreshId: 7,
    });
    expect(r.segments.map((s) => s.id)).toEqual([6, 5]);
  });

  it('rejects labels outside the declared ranges', () => {
    expect(() => matchSegments({ previousIds: [1], nextCount: 1, previousLabels: [1], nextLabels: [3], nextFreshId: 2 })).toThrow(
      'out of range',
    );
    expect(() => matchSegments({ previousIds: [1], nextCount: 1, previousLabels: [4], nextLabels: [0], nextFreshId: 2 })).toThrow(
      'not among previousIds',
    );
  });
});
