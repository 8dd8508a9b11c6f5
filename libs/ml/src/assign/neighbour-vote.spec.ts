import { fromRows } from '../core/matrix';
import { agreement, averageNeighbourRows, voteLabels } from './neighbour-vote';

const graph = {
  n: 2,
  k: 3,
  indices: Int32Array.from([0, 1, 2, 3, 2, -1]),
  distances: Float64Array.from([0.1, 0.5, 0.6, 1, 1, Infinity]),
};
const labels = [4, 7, 7, 1];

describe('neighbour vote', () => {
  it('weights votes by similarity (1 - distance)', () => {
    const r = voteLabels(graph, labels);
    // query 0: label 4 gets 0.9, label 7 gets 0.5 + 0.4 = 0.9 -> tie goes to the nearest (4)
    expect(r.labels[0]).toBe(4);
    expect(r.voteShare[0]).toBeCloseTo(0.5, 12);
    // query 1: all weights zero -> uniform over valid neighbours: labels 1 and 7, tie -> nearest (1)
    expect(r.labels[1]).toBe(1);
    expect(r.voteShare[1]).toBeCloseTo(0.5, 12);
  });

  it('counts one vote per neighbour when uniform', () => {
    const r = voteLabels(graph, labels, 'uniform');
    expect(r.labels[0]).toBe(7);
    expect(r.voteShare[0]).toBeCloseTo(2 / 3, 12);
  });

  it('averages neighbour rows with the same weights', () => {
    const emb = fromRows([[0, 0], [10, 0], [0, 10], [5, 5]]);
    const avg = averageNeighbourRows(graph, emb);
    expect(avg.data[0]).toBeCloseTo((0.5 * 10) / 1.8, 12);
    expect(avg.data[1]).toBeCloseTo((0.4 * 10) / 1.8, 12);
    expect(Array.from(avg.data.subarray(2))).toEqual([2.5, 7.5]);
  });

  it('measures agreement and rejects unknown neighbours', () => {
    expect(agreement([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
    expect(() => voteLabels(graph, [1, 2])).toThrow(/no fitted label/);
  });
});
