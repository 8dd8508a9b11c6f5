import { EMPTY_PACKED, MessagePacker, unpackMessages } from './packed-messages';

describe('packed messages', () => {
  it('round-trips keys and values, ASCII or not, in order', () => {
    const packer = new MessagePacker();
    const input: [string | null, string][] = [['17850', '{"a":1}'], [null, ''], ['k', 'é £ ü ✓ 😀'], ['invoice:5', 'x'.repeat(1000)], ['17850', '{"b":2}']];
    for (const [k, v] of input) packer.add(k, v);
    expect(packer.length).toBe(5);
    const packed = packer.pack();
    expect(packer.length).toBe(0);
    expect(packed.values.length).toBe(input.reduce((n, [, v]) => n + Buffer.byteLength(v), 0));
    const messages = unpackMessages(packed);
    expect(messages.map((m) => [m.key, m.value.toString()])).toEqual(input);
    expect(messages.every((m) => Buffer.isBuffer(m.value) && m.value.buffer === packed.values.buffer)).toBe(true); // views, no copies
    expect(unpackMessages(packed, 2, 4).map((m) => m.value.toString())).toEqual([input[2][1], input[3][1]]);
  });

  it('unpacks plain Uint8Arrays (what a worker thread transfers) and empty sets', () => {
    const packer = new MessagePacker();
    packer.add('a', 'one');
    packer.add('b', 'two');
    const packed = packer.pack();
    const transferred = { ...packed, values: new Uint8Array(packed.values) };
    expect(unpackMessages(transferred).map((m) => m.value.toString())).toEqual(['one', 'two']);
    expect(unpackMessages(EMPTY_PACKED)).toEqual([]);
    expect(new MessagePacker().pack().keys).toEqual([]);
  });
});
