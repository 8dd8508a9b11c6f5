import { EventIdSet } from './event-id.set';

describe('EventIdSet', () => {
  /** ids written one after the other into one buffer, as rows would hold them */
  const layout = (ids: readonly string[]) => {
    const bytes = Buffer.from(ids.join(''), 'utf8');
    const ranges: [number, number][] = [];
    let at = 0;
    for (const id of ids) ranges.push([at, (at += Buffer.byteLength(id))]);
    return { bytes, ranges };
  };

  const fnv = (id: string) => {
    let hash = 0x811c9dc5 | 0;
    for (const byte of Buffer.from(id)) hash = Math.imul(hash ^ byte, 0x01000193);
    return hash;
  };

  it('agrees with a Set of strings over 300,000 ids with repeats (growing from a small table)', () => {
    let state = 42;
    const random = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) % 250_000);
    const ids = Array.from({ length: 300_000 }, () => `Ecommerce.csv:${random()}`);
    const { bytes, ranges } = layout(ids);
    const set = new EventIdSet(() => bytes, 8);
    const oracle = new Set<string>();
    ids.forEach((id, i) => {
      expect(set.add(0, ranges[i]![0], ranges[i]![1])).toBe(!oracle.has(id));
      oracle.add(id);
    });
    expect(set.count).toBe(oracle.size);
  });

  it('tells apart distinct ids whose hashes are equal', () => {
    const pair = ['e:cibg1k43qbpt', 'e:9z20t64ikfrf']; // found by a search over random ids
    expect(fnv(pair[0]!)).toBe(fnv(pair[1]!));
    const { bytes, ranges } = layout([...pair!, ...pair!]);
    const set = new EventIdSet(() => bytes);
    expect(ranges.map(([start, end]) => set.add(0, start, end))).toEqual([true, true, false, false]);
  });

  it('compares ids across owners and reads an owner through its current buffer', () => {
    const a = layout(['a:1', 'a:2', 'shared']);
    let b = layout(['shared', 'b:1']).bytes;
    const set = new EventIdSet((owner) => (owner === 0 ? a.bytes : b), 2);
    expect(set.add(0, 0, 3)).toBe(true);
    expect(set.add(0, 3, 6)).toBe(true);
    expect(set.add(0, 6, 12)).toBe(true);
    expect(set.add(1, 0, 6)).toBe(false); // 'shared' of owner 1 equals owner 0's
    expect(set.add(1, 6, 9)).toBe(true);
    b = Buffer.concat([b, Buffer.alloc(100)]); // owner 1's buffer replaced (grown): its ranges still hold
    expect(set.add(0, 0, 3)).toBe(false);
    const probe = layout(['b:1']).bytes;
    const withProbe = new EventIdSet((owner) => [a.bytes, b, probe][owner]!, 4);
    expect([withProbe.add(1, 6, 9), withProbe.add(2, 0, 3), withProbe.add(1, 0, 0), withProbe.add(0, 0, 0)]).toEqual([true, false, true, false]);
  });
});
