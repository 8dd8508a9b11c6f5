export * from './descriptive';
export * from './distributions';
export * from './random';
export * from './hypothesis-tests';
export * from './bootstrap';
export * from './forecast';
export * from './agreement';
export * from './threshold-rule';
