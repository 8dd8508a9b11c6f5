export * from './umap';
export * from './quality';
export { exactKnn, nnDescentKnn, euclideanKnn } from './knn-search';
export type { NnDescentOptions } from './knn-search';
export { fuzzySimplicialSet, smoothKnnDist, connectedComponents } from './fuzzy-set';
export type { CsrGraph } from './fuzzy-set';
export { findAbParams } from './ab-params';
export type { SpectralOptions } from './spectral';
