import { InOrderCommits } from './in-order-commits.tracker';

/** A tracker with partition 0's chain started at `from` and batches of `size` offsets each handed over. */
function withBatches(count: number, { from = 0, size = 10, partition = 0 } = {}) {
  const commits = new InOrderCommits();
  commits.restart(partition, String(from));
  const tickets = Array.from({ length: count }, (_, i) => commits.add(partition, String(from + i * size), String(from + (i + 1) * size - 1)));
  return { commits, tickets };
}

describe('InOrderCommits', () => {
  it('commits after each batch when they finish in order', () => {
    const { commits, tickets } = withBatches(3);
    expect(commits.uncommitted(0)).toBe(3);
    expect(commits.running(0)).toBe(3);
    expect(tickets.map((t) => commits.succeed(t))).toEqual(['10', '20', '30']);
    expect(commits.uncommitted(0)).toBe(0);
    expect(commits.running(0)).toBe(0);
  });

  it('commits only the contiguous prefix of succeeded batches when they finish out of order', () => {
    const { commits, tickets } = withBatches(4);
    const [b1, b2, b3, b4] = tickets;
    expect(commits.succeed(b2!)).toBeUndefined();
    expect(commits.succeed(b4!)).toBeUndefined();
    expect(commits.uncommitted(0)).toBe(4);
    expect(commits.running(0)).toBe(2);
    expect(commits.succeed(b1!)).toBe('20'); // b1 and b2; b3 still runs
    expect(commits.uncommitted(0)).toBe(2);
    expect(commits.succeed(b3!)).toBe('40'); // b3 and b4
    expect(commits.uncommitted(0)).toBe(0);
  });

  it('lets a batch whose handler is still retrying block the commits of every later batch', () => {
    const { commits, tickets } = withBatches(3);
    const [retrying, later, last] = tickets;
    expect(commits.succeed(later!)).toBeUndefined();
    expect(commits.succeed(last!)).toBeUndefined();
    expect(commits.uncommitted(0)).toBe(3); // backpressure counts the finished ones behind the retrying one
    expect(commits.running(0)).toBe(1);
    // more batches arrive meanwhile and finish: still nothing
    const more = commits.add(0, '30', '39');
    expect(commits.succeed(more)).toBeUndefined();
    expect(commits.succeed(retrying!)).toBe('40');
  });

  it('never commits at or after a batch whose handler gave up', () => {
    const { commits, tickets } = withBatches(3);
    const [first, gaveUp, later] = tickets;
    commits.fail(gaveUp!);
    expect(commits.succeed(later!)).toBeUndefined();
    expect(commits.succeed(first!)).toBe('10'); // the prefix before the failed batch is still committed
    expect(commits.uncommitted(0)).toBe(2);
    expect(commits.running(0)).toBe(0);
    // batches that continue the blocked chain are tracked but never committed
    expect(commits.succeed(commits.add(0, '30', '39'))).toBeUndefined();
  });

  it('keeps partitions independent', () => {
    const commits = new InOrderCommits();
    commits.restart(0, '0');
    commits.restart(1, '100');
    const a = commits.add(0, '0', '4');
    const b = commits.add(1, '100', '104');
    expect(commits.succeed(b)).toBe('105');
    expect(commits.uncommitted(0)).toBe(1);
    expect(commits.succeed(a)).toBe('5');
  });

  it('says whether a batch continues the chain: none before the first batch, the next offset afterwards', () => {
    const commits = new InOrderCommits();
    expect(commits.continues(0, '0')).toBe(false);
    expect(() => commits.add(0, '0', '9')).toThrow(/restart it first/);
    commits.restart(0, '0');
    expect(commits.continues(0, '0')).toBe(true);
    commits.add(0, '0', '9');
    expect(commits.continues(0, '10')).toBe(true);
    expect(commits.continues(0, '0')).toBe(false); // a refetch (rebalance, seek)
    expect(commits.continues(0, '20')).toBe(false);
    expect(() => commits.add(0, '20', '29')).toThrow(/does not continue partition 0's chain \(expected 10\)/);
  });

  it('starts a new chain (reset) only once every handler of the partition has settled (drained)', () => {
    const { commits, tickets } = withBatches(2);
    const [first, second] = tickets;
    // a refetch from offset 0: the running handlers must finish before anything of a new chain is committed
    expect(commits.continues(0, '0')).toBe(false);
    expect(() => commits.restart(0, '0')).toThrow(/still has running handlers/);
    expect(commits.succeed(second!)).toBeUndefined();
    expect(() => commits.restart(0, '0')).toThrow(/still has running handlers/);
    commits.fail(first!);
    expect(commits.running(0)).toBe(0);
    commits.restart(0, '0'); // drained: the finished-but-blocked second batch is forgotten (it is refetched)
    expect(commits.uncommitted(0)).toBe(0);
    expect(commits.succeed(commits.add(0, '0', '19'))).toBe('20');
  });

  it('retires every chain on a rebalance: old batches finish but commit nothing, the next batch needs a new chain', () => {
    const { commits, tickets } = withBatches(2);
    const [first, second] = tickets;
    expect(commits.succeed(first!)).toBe('10');
    expect(commits.isCurrent(second!)).toBe(true);
    commits.newEpoch();
    expect(commits.epoch).toBe(1);
    expect(commits.isCurrent(second!)).toBe(false);
    expect(commits.continues(0, '20')).toBe(false); // even at the next offset: the group decides where it continues
    expect(commits.running(0)).toBe(1);
    expect(commits.succeed(second!)).toBeUndefined();
    commits.restart(0, '10');
    expect(commits.succeed(commits.add(0, '10', '29'))).toBe('30');
  });

  it('handles offsets beyond 2^53 and batches of one message', () => {
    const commits = new InOrderCommits();
    commits.restart(0, '9007199254740993');
    const first = commits.add(0, '9007199254740993', '9007199254740993');
    const second = commits.add(0, '9007199254740994', '9007199254740995');
    expect(commits.succeed(second)).toBeUndefined();
    expect(commits.succeed(first)).toBe('9007199254740996');
  });

  it('rejects settling a batch twice and a batch that ends before it starts', () => {
    const { commits, tickets } = withBatches(1);
    commits.succeed(tickets[0]!);
    expect(() => commits.fail(tickets[0]!)).toThrow(/already settled/);
    expect(() => commits.add(0, '10', '9')).toThrow(/ends at 9, before its start 10/);
  });
});
