// The one MongoDB connection of an app. Mongoose owns the connection (pooling, server
// selection, reconnects); repositories take raw driver collections from it because the
// hot paths are bulk writes and lean reads, where Mongoose document casting costs ~30x.
import { Logger } from '@nestjs/common';
import type { Collection, Db, Document, Filter } from 'mongodb';
import mongoose from 'mongoose';
import type { MongoSettings } from '../config/common';

/** Which server answers: code paths differ only where FerretDB would scan whole tables. */
export type MongoServerKind = 'mongodb' | 'ferretdb';

/** Parallel point reads on FerretDB; enough to hide round trips, few enough for its pool. */
const POINT_READ_CONCURRENCY = 16;

/**
 * Update statements per `update` command. FerretDB 1.24 (SQLite) keeps every statement's query
 * cursor, and so one of its 100 pooled SQLite connections per database, open until the whole
 * command ends; concurrent commands that together hold about 100 wait for each other forever
 * (scripts/dev/README.md). Six concurrent writers (three processors, two topics each) times 10
 * stay well under it. MongoDB has no such limit.
 */
const UPDATES_PER_COMMAND: Record<MongoServerKind, number> = { ferretdb: 10, mongodb: 500 };

export class MongoConnection {
  private static readonly logger = new Logger('MongoConnection');

  private constructor(
    private readonly connection: mongoose.Connection,
    readonly dbName: string,
    readonly serverKind: MongoServerKind,
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
      // An optional field left undefined is omitted, never stored as null.
      ignoreUndefined: true,
      appName: 'tokenmeter',
    });
    await connection.asPromise();
    const info = (await connection.db?.admin().command({ buildInfo: 1 })) ?? {};
    const serverKind: MongoServerKind = typeof info.ferretdbVersion === 'string' ? 'ferretdb' : 'mongodb';
    MongoConnection.logger.log(
      { db: settings.dbName, server: serverKind, version: String(info.ferretdbVersion ?? info.version) },
      'connected to MongoDB',
    );
    return new MongoConnection(connection, settings.dbName, serverKind);
  }

  /** The most update statements one bulk write should carry on this server. */
  get updatesPerCommand(): number {
    return UPDATES_PER_COMMAND[this.serverKind];
  }

  private get db(): Db {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoDB connection is not open');
    return db;
  }

  collection<T extends Document>(name: string): Collection<T> {
    return this.db.collection<T>(name);
  }

  /**
   * Documents by _id. FerretDB's SQLite backend pushes down only a filter that is exactly
   * `{_id: value}`; `$in` would scan the whole collection, so there it reads point by point.
   */
  async findByIds<T extends Document & { _id: string }>(
    name: string,
    ids: readonly string[],
    projection?: Document,
  ): Promise<T[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const collection = this.collection<T>(name);
    const options = projection === undefined ? {} : { projection };
    if (this.serverKind === 'mongodb') {
      return (await collection.find({ _id: { $in: unique } } as Filter<T>, options).toArray()) as T[];
    }
    const found: T[] = [];
    for (let i = 0; i < unique.length; i += POINT_READ_CONCURRENCY) {
      const docs = await Promise.all(
        unique.slice(i, i + POINT_READ_CONCURRENCY).map((id) => collection.findOne({ _id: id } as Filter<T>, options)),
      );
      for (const doc of docs) if (doc !== null) found.push(doc as T);
    }
    return found;
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
