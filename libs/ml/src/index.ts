export * from './core/matrix';
export * from './core/random';
