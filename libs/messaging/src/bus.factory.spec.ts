import { createEventBus } from './bus.factory';
import { KafkaBus } from './kafka-bus';
import { MemoryBus } from './memory-bus';

describe('createEventBus', () => {
  it('is the in-process bus when no broker is configured', async () => {
    const bus = createEventBus({ KAFKA_BROKERS: [] });
    expect(bus).toBeInstanceOf(MemoryBus);
    expect(bus.kind).toBe('memory');
    await bus.close();
  });

  it('ignores blank broker entries', () => {
    expect(createEventBus({ KAFKA_BROKERS: [' ', ''] }).kind).toBe('memory');
  });

  it('is Kafka when brokers are listed (connects lazily)', async () => {
    const bus = createEventBus({ KAFKA_BROKERS: ['127.0.0.1:1'], KAFKA_CLIENT_ID: 'x' }, { kafka: { compression: 'gzip' } });
    expect(bus).toBeInstanceOf(KafkaBus);
    expect(bus.kind).toBe('kafka');
    await bus.close();
  });
});
