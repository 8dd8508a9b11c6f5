export * from './clickhouse.factory';
export * from './migrations.runner';
export * from './storage.module';
export * from './clusterer.rows';
export * from './exec-bytes';
export * from './clickhouse-time';
export * from './insert-bytes';
