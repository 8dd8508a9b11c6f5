import { EventBus, MemoryBus, OutgoingMessage, topicsFor } from '@insiders/messaging';
import { MessagePacker } from './packed-messages';
import { PublishStream } from './publish.stream';

const topics = topicsFor('s');

function packedOf(n: number, from = 0) {
  const packer = new MessagePacker();
  for (let i = from; i < from + n; i++) packer.add(`k${i % 3}`, `v${i}`);
  return packer.pack();
}

describe('PublishStream.addPacked', () => {
  it('publishes packed messages in order, in chunks of chunkSize, after what was added before', async () => {
    const bus = new MemoryBus();
    const calls: number[] = [];
    const publish = bus.publish.bind(bus);
    jest.spyOn(bus, 'publish').mockImplementation((topic: string, messages: OutgoingMessage[]) => {
      calls.push(messages.length);
      return publish(topic, messages);
    });
    const stream = new PublishStream(bus as EventBus, topics, { chunkSize: 4, maxInFlight: 2 });
    stream.addPacked('accepted', packedOf(3));
    stream.addPacked('accepted', packedOf(10, 3), 0, 7); // the first 7 of the second set
    stream.addPacked('deadLettered', packedOf(2, 100));
    await stream.ready();
    expect(await stream.close()).toEqual({ accepted: 10, deadLettered: 2 });
    expect(bus.read(topics.invoiceLines).map((m) => m.value.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(bus.read(topics.invoiceLines).map((m) => m.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i % 3}`));
    expect(bus.read(topics.invoiceLinesDeadLetter).map((m) => m.value.toString())).toEqual(['v100', 'v101']);
    expect(calls.slice(0, 2)).toEqual([4, 4]);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
