export * from './silhouette';
