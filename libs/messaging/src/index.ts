export * from './event-bus';
export * from './topics';
export * from './memory-bus';
export * from './bus.module';
export * from './kafka-bus';
export * from './bus.factory';
