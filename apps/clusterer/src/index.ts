export * from './clusterer.config';
export * from './clusterer.module';
export * from './clusterer.service';
export * from './clusterer.tokens';
export * from './use-cases/refit.use-case';
export * from './use-cases/backfill.use-case';
export * from './use-cases/explain-customer.use-case';
