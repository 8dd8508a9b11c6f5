/** Injection token of the validated clusterer configuration. */
export const CLUSTERER_CONFIG = Symbol('CLUSTERER_CONFIG');
