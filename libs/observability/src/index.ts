export * from './metrics.registry';
export * from './health.check';
export * from './observability.module';
