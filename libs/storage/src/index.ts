/**
 * @tokenmeter/storage: everything about how tokenmeter stores its data — the document shapes, ids
 * and indexes of every collection, the rollup arithmetic and slot packing, the series registry, the
 * raw time directory, and the one MongoDB connection of an app with its driver fixes.
 */
export * from './documents';
export * from './dialect/storage-dialect';
export * from './dialect/storage-settings';
export * from './mongo/mongo-connection';
export * from './mongo/mongo.module';
export * from './raw/raw-time-directory.reader';
