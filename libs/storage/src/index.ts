export * from './clickhouse.factory';
export * from './migrations.runner';
