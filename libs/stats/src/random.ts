/** Seeded uniform generator: the one libs/ml uses (mulberry32 seeded through splitmix32), so resampling is reproducible by seed. */
export { Random as SeededRandom } from '@insiders/ml';
