export * from './kmeans';
