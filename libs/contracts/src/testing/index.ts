/**
 * Test helpers for @tokenmeter/contracts: factories for valid events, fast-check arbitraries for
 * valid events, single-mutation invalid events, and result unwrapping. Test code only: this
 * imports fast-check, a dev dependency.
 */
export * from './arbitraries';
export * from './factories';
export * from './mutations';
export * from './results';
