export * from './raw-documents';
export * from './histogram';
export * from './rollup-documents';
export * from './series-registry';
