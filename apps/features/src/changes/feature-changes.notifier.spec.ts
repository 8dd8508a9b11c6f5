import { FeatureChangeNotifier, type FeatureChange } from './feature-changes.notifier';

describe('FeatureChangeNotifier', () => {
  it('tells every subscribed listener, until it unsubscribes', () => {
    const notifier = new FeatureChangeNotifier();
    const a: FeatureChange[] = [];
    const b: FeatureChange[] = [];
    const stopA = notifier.subscribe((c) => a.push(c));
    notifier.subscribe((c) => b.push(c));
    notifier.notify({ customerKeys: ['1', 'invoice:9'], atMs: 10 });
    stopA();
    notifier.notify({ customerKeys: ['2'], atMs: 20 });
    expect(a).toEqual([{ customerKeys: ['1', 'invoice:9'], atMs: 10 }]);
    expect(b.map((c) => c.atMs)).toEqual([10, 20]);
  });

  it('a listener that throws neither stops the others nor the writer', () => {
    const notifier = new FeatureChangeNotifier();
    const seen: number[] = [];
    notifier.subscribe(() => {
      throw new Error('broken listener');
    });
    notifier.subscribe((c) => seen.push(c.atMs));
    expect(() => notifier.notify({ customerKeys: ['1'], atMs: 5 })).not.toThrow();
    expect(seen).toEqual([5]);
  });
});
