'use strict';
var __importDefault =
  (this && this.__importDefault) ||
  function (mod) {
    return mod && mod.__esModule ? mod : { default: mod };
  };
Object.defineProperty(exports, '__esModule', { value: true });
exports.MongoConnection = void 0;
exports.isDuplicateKeyError = isDuplicateKeyError;
// The one MongoDB connection of an app. Mongoose owns the connection (pooling, server
// selection, reconnects); repositories take raw driver collections from it because the
// hot paths are bulk writes and lean reads, where Mongoose document casting costs ~30x.
const common_1 = require('@nestjs/common');
const mongoose_1 = __importDefault(require('mongoose'));
class MongoConnection {
  connection;
  dbName;
  static logger = new common_1.Logger('MongoConnection');
  constructor(connection, dbName) {
    this.connection = connection;
    this.dbName = dbName;
  }
  static async open(settings) {
    const connection = mongoose_1.default.createConnection(settings.url, {
      dbName: settings.dbName,
      serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs,
      // Fail fast instead of queueing operations while disconnected: callers decide
      // whether to retry (the processor pauses its partitions, the API answers 503).
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
      appName: 'tokenmeter',
    });
    await connection.asPromise();
    MongoConnection.logger.log({ db: settings.dbName }, 'connected to MongoDB');
    return new MongoConnection(connection, settings.dbName);
  }
  get db() {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoDB connection is not open');
    return db;
  }
  collection(name) {
    return this.db.collection(name);
  }
  async ping() {
    await this.db.command({ ping: 1 });
  }
  async close() {
    await this.connection.close();
    MongoConnection.logger.log('closed MongoDB connection');
  }
}
exports.MongoConnection = MongoConnection;
/** True for a duplicate-key error (code 11000), the expected outcome of a replayed insert. */
function isDuplicateKeyError(error) {
  return typeof error === 'object' && error !== null && error.code === 11000;
}
//# sourceMappingURL=mongo-connection.js.map
