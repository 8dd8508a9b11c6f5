export * from './event-bus';
export * from './topics';
export * from './memory-bus';
