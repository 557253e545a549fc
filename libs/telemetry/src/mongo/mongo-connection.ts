// The one MongoDB connection of an app. Mongoose owns the connection (pooling, server
// selection, reconnects); repositories take raw driver collections from it because the
// hot paths are bulk writes and lean reads, where Mongoose document casting costs ~30x.
import { Logger } from '@nestjs/common';
import type { Collection, Db, Document } from 'mongodb';
import mongoose from 'mongoose';
import type { MongoSettings } from '../config/common';

export class MongoConnection {
  private static readonly logger = new Logger('MongoConnection');

  private constructor(
    private readonly connection: mongoose.Connection,
    readonly dbName: string,
  ) {}

  static async open(settings: MongoSettings): Promise<MongoConnection> {
    const connection = mongoose.createConnection(settings.url, {
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

  private get db(): Db {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoDB connection is not open');
    return db;
  }

  collection<T extends Document>(name: string): Collection<T> {
    return this.db.collection<T>(name);
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.connection.close();
    MongoConnection.logger.log('closed MongoDB connection');
  }
}

/** True for a duplicate-key error (code 11000), the expected outcome of a replayed insert. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
