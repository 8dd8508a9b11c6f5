export * from './clickhouse.factory';
export * from './migrations.runner';
export * from './storage.module';
export * from './clusterer.rows';
