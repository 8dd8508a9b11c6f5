export * from './gaussian-mixture';
