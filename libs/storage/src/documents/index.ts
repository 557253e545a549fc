export * from './raw-documents';
export * from './histogram';
export * from './rollup-documents';
export * from './series-registry';
export * from './rollup-slots';
export * from './raw-time-directory';
export * from './raw-stored-shape';
