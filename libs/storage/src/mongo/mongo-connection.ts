// The one MongoDB connection of an app. Mongoose owns the connection (pooling, server
// selection, reconnects); repositories take raw driver collections from it because the
// hot paths are bulk writes and lean reads, where Mongoose document casting costs ~30x.
import { Logger } from '@nestjs/common';
import type { Collection, Db, Document, Filter, MongoClientOptions, ServerDescriptionChangedEvent } from 'mongodb';
import mongoose from 'mongoose';
import {
  findInChain,
  type MongoSecurity,
  type MongoSettings,
  StartupError,
  StartupErrorCode,
  tlsFailureOf,
} from '@tokenmeter/telemetry';
// Settles driver writes on a connection the server just closed (a hang after a restart, issue 15).
import './driver-write-guard';

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

/** Driver options for TLS and credentials given outside MONGO_URL. */
export function mongoSecurityOptions(security: MongoSecurity | undefined): MongoClientOptions {
  const options: MongoClientOptions = {};
  const tls = security?.tls;
  if (tls !== undefined) {
    options.tls = true;
    if (tls.ca !== undefined) options.ca = tls.ca;
    if (tls.cert !== undefined) options.cert = tls.cert;
    if (tls.key !== undefined) options.key = tls.key.reveal();
    if (tls.allowInvalidHostnames) options.tlsAllowInvalidHostnames = true;
  }
  const credentials = security?.credentials;
  if (credentials !== undefined) {
    options.auth = { username: credentials.username, password: credentials.password.reveal() };
    if (credentials.authSource !== undefined) options.authSource = credentials.authSource;
  }
  return options;
}

/** Authentication failed (18) or not authorized (13): wrong or missing credentials. */
const AUTH_CODES = new Set([13, 18]);

/**
 * A StartupError when `error` means MongoDB cannot be used with this configuration at all
 * (credentials refused, server certificate not trusted); undefined otherwise.
 */
export function mongoAccessError(error: unknown): StartupError | undefined {
  const refused = findInChain(error, (e) => typeof e.code === 'number' && AUTH_CODES.has(e.code));
  if (refused !== undefined) {
    return new StartupError(
      StartupErrorCode.MongoAuthentication,
      `MongoDB refused the credentials: ${refused.message} ` +
        'Check MONGO_USERNAME and MONGO_PASSWORD or MONGO_PASSWORD_FILE (or the credentials in MONGO_URL) and MONGO_AUTH_SOURCE.',
      { cause: error },
    );
  }
  const tls = tlsFailureOf(error);
  if (tls !== undefined) {
    return new StartupError(
      StartupErrorCode.MongoTls,
      `the TLS handshake with MongoDB failed: ${tls}. ` +
        "Check MONGO_TLS_CA_FILE (the CA that signed the server's certificate) and MONGO_TLS_CERT_KEY_FILE.",
      { cause: error },
    );
  }
  return undefined;
}

export class MongoConnection {
  private static readonly logger = new Logger('MongoConnection');

  private constructor(
    private readonly connection: mongoose.Connection,
    private readonly settings: MongoSettings,
    readonly serverKind: MongoServerKind,
  ) {}

  get dbName(): string {
    return this.settings.dbName;
  }

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
      ...mongoSecurityOptions(settings.security),
    });
    // The driver keeps selecting a server until serverSelectionTimeoutMS even when the TLS
    // handshake failed for good (an untrusted certificate); the first such failure ends the boot.
    const client = connection.getClient();
    let onServerChange: ((event: ServerDescriptionChangedEvent) => void) | undefined;
    const handshakeRefused = new Promise<never>((_, reject) => {
      onServerChange = (event) => {
        const failure = event.newDescription.error;
        if (failure !== null && tlsFailureOf(failure) !== undefined) reject(failure);
      };
      client.on('serverDescriptionChanged', onServerChange);
    });
    handshakeRefused.catch(() => undefined); // raced below; never an unhandled rejection
    let info: Document;
    try {
      await Promise.race([connection.asPromise(), handshakeRefused]);
      // With credentials the driver logs in on every new connection: refused ones fail here.
      info = (await connection.db?.admin().command({ buildInfo: 1 })) ?? {};
    } catch (error) {
      // The client, not the mongoose connection: that one waits for the pending server selection.
      await client.close(true).catch(() => undefined);
      throw mongoAccessError(error) ?? error;
    } finally {
      if (onServerChange !== undefined) client.off('serverDescriptionChanged', onServerChange);
    }
    logServerAvailability(client);
    const serverKind: MongoServerKind = typeof info.ferretdbVersion === 'string' ? 'ferretdb' : 'mongodb';
    MongoConnection.logger.log(
      { db: settings.dbName, server: serverKind, version: String(info.ferretdbVersion ?? info.version) },
      'connected to MongoDB',
    );
    return new MongoConnection(connection, settings, serverKind);
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
    // A sliding window: a new read starts as soon as one ends, so one slow read holds up nothing.
    const found: T[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < unique.length) {
        const id = unique[next] as string;
        next += 1;
        const doc = await collection.findOne({ _id: id } as Filter<T>, options);
        if (doc !== null) found.push(doc as T);
      }
    };
    await Promise.all(Array.from({ length: Math.min(POINT_READ_CONCURRENCY, unique.length) }, worker));
    return found;
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  /**
   * Whether the server answers a ping on a new connection of its own within `timeoutMs`,
   * independently of this connection's pool and of the driver's view of the server (which is
   * what can be stuck). Liveness uses it to tell "the database is away" from "we are stuck".
   */
  async answersNewConnection(timeoutMs: number): Promise<boolean> {
    const client = new mongoose.mongo.MongoClient(this.settings.url, {
      ...mongoSecurityOptions(this.settings.security),
      appName: 'tokenmeter-probe',
      maxPoolSize: 1,
      serverSelectionTimeoutMS: timeoutMs,
      connectTimeoutMS: timeoutMs,
      socketTimeoutMS: timeoutMs,
    });
    try {
      await client.db(this.settings.dbName).command({ ping: 1 });
      return true;
    } catch {
      return false;
    } finally {
      await client.close(true).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
    MongoConnection.logger.log('closed MongoDB connection');
  }
}

/**
 * One log line when the driver stops considering a server usable (and why), one when it is usable
 * again: the driver retries silently, so without these an outage shows only as failing writes.
 */
function logServerAvailability(client: mongoose.mongo.MongoClient): void {
  const logger = new Logger('MongoConnection');
  client.on('serverDescriptionChanged', (event: ServerDescriptionChangedEvent) => {
    const was = event.previousDescription.type;
    const now = event.newDescription.type;
    if (now === 'Unknown' && was !== 'Unknown') {
      logger.warn(
        { server: event.address, err: event.newDescription.error?.message ?? null },
        'MongoDB server unreachable; the driver keeps checking it',
      );
    } else if (was === 'Unknown' && now !== 'Unknown') {
      logger.log({ server: event.address, type: now }, 'MongoDB server reachable again');
    }
  });
}

/** True for a duplicate-key error (code 11000), the expected outcome of a replayed insert. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
