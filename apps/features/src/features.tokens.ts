/** Injection tokens of the features app. Other apps inject FEATURES_SERVICE (the query API). */
export const FEATURES_CONFIG = Symbol('FEATURES_CONFIG');
export const FEATURES_REPOSITORY = Symbol('FEATURES_REPOSITORY');
export const FEATURES_SERVICE = Symbol('FEATURES_SERVICE');
export const FEATURES_PROCESSOR = Symbol('FEATURES_PROCESSOR');
