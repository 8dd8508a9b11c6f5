// First: kafkajs internals are replaced before kafkajs loads (kafka/kafkajs-fast-path.ts).
import './kafka/kafkajs-fast-path.install';
export * from './event-bus';
export * from './topics';
export * from './memory-bus';
export * from './bus.module';
export * from './kafka-bus';
export * from './bus.factory';
export { kafkajsFastPathStatus, type KafkajsFastPathStatus } from './kafka/kafkajs-fast-path';
export { KeyPartitioner, partitionOfKey } from './kafka/murmur2.partitioner';
