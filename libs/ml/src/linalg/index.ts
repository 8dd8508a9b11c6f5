export * from './cholesky';
export * from './sym-eigen';
export * from './dense';
export * from './orthonormalize';
export * from './pca';
