import { batchLag, chunkMessages, KafkaBus, nextOffset } from './kafka-bus';
import type { OutgoingMessage } from './event-bus';

const msg = (value: string, key: string | null = 'k'): OutgoingMessage => ({ key, value });

describe('chunkMessages', () => {
  it('keeps order and bounds every chunk by count', () => {
    const messages = Array.from({ length: 25 }, (_, i) => msg(String(i)));
    const chunks = chunkMessages(messages, 10, 1_000_000);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(messages);
  });

  it('bounds chunks by approximate bytes and keeps an oversized message alone', () => {
    const big = msg('x'.repeat(5000));
    const small = msg('y'.repeat(100));
    const chunks = chunkMessages([small, small, big, small], 100, 1000);
    expect(chunks.map((c) => c.length)).toEqual([2, 1, 1]);
    expect(chunks[1]).toEqual([big]);
  });

  it('counts headers and buffers', () => {
    const withHeaders: OutgoingMessage = { key: null, value: Buffer.alloc(400), headers: { h: 'v'.repeat(400) } };
    expect(chunkMessages([withHeaders, withHeaders], 100, 1000)).toHaveLength(2);
    expect(chunkMessages([], 10, 10)).toEqual([]);
  });
});

describe('offset arithmetic', () => {
  it('commits the offset after the last one, beyond 2^53 too', () => {
    expect(nextOffset('0')).toBe('1');
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });

  it('reports lag between the batch end and the high watermark, never negative', () => {
    expect(batchLag('100', '49')).toBe(50);
    expect(batchLag('100', '99')).toBe(0);
    expect(batchLag('0', '5')).toBe(0);
  });
});

describe('KafkaBus construction', () => {
  it('needs a broker', () => {
    expect(() => new KafkaBus({ brokers: [] })).toThrow(/at least one broker/);
  });

  it('refuses work after close', async () => {
    const bus = new KafkaBus({ brokers: ['127.0.0.1:1'] });
    await bus.close();
    await expect(bus.publish('t', [msg('a')])).rejects.toThrow(/closed/);
  });
});
