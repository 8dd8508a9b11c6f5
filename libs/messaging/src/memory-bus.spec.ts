import { MemoryBus } from './memory-bus';

describe('MemoryBus', () => {
  it('delivers every message in order to each group, in batches', async () => {
    const bus = new MemoryBus({ maxBatch: 3 });
    const seen: string[] = [];
    const batchSizes: number[] = [];
    await bus.subscribe({ topic: 't', groupId: 'g' }, async (batch) => {
      batchSizes.push(batch.messages.length);
      seen.push(...batch.messages.map((m) => m.value.toString()));
    });
    await bus.publish('t', ['a', 'b', 'c', 'd', 'e'].map((v) => ({ key: 'k', value: v })));
    await bus.drained();
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(3);
    await bus.close();
  });

  it('redelivers a batch whose handler failed, without skipping or duplicating the rest', async () => {
    const bus = new MemoryBus({ retryDelayMs: 1 });
    const seen: string[] = [];
    let failOnce = true;
    await bus.subscribe({ topic: 't', groupId: 'g' }, async (batch) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('storage down');
      }
      seen.push(...batch.messages.map((m) => m.value.toString()));
    });
    await bus.publish('t', [{ key: null, value: 'x' }, { key: null, value: 'y' }]);
    await bus.drained();
    expect(seen).toEqual(['x', 'y']);
    await bus.close();
  });

  it('lets a late group start from the beginning or from the end', async () => {
    const bus = new MemoryBus();
    await bus.publish('t', [{ key: null, value: 'old' }]);
    const early: string[] = [];
    const late: string[] = [];
    await bus.subscribe({ topic: 't', groupId: 'a' }, async (b) => void early.push(...b.messages.map((m) => m.value.toString())));
    await bus.subscribe({ topic: 't', groupId: 'b', fromBeginning: false }, async (b) => void late.push(...b.messages.map((m) => m.value.toString())));
    await bus.publish('t', [{ key: null, value: 'new' }]);
    await bus.drained();
    expect(early).toEqual(['old', 'new']);
    expect(late).toEqual(['new']);
    await bus.close();
  });
});
