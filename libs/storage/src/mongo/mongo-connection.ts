// The one MongoDB connection of an app. Mongoose owns the connection (pooling, server
// selection, reconnects); repositories take raw driver collections from it because the
// hot paths are bulk writes and lean reads, where Mongoose document casting costs ~30x.
// It carries the storage dialect (../dialect/storage-dialect.ts), chosen once when it opens.
import { Logger } from '@nestjs/common';
import type { Collection, Db, Document, MongoClientOptions, ServerDescriptionChangedEvent } from 'mongodb';
import mongoose from 'mongoose';
import { findInChain, type MongoSecurity, StartupError, StartupErrorCode, tlsFailureOf } from '@tokenmeter/telemetry';
import { chooseDialect, describeServer, type StorageDialect } from '../dialect/storage-dialect';
import type { StorageSettings } from '../dialect/storage-settings';
// Settles driver writes on a connection the server just closed (a hang after a restart, issue 15).
import './driver-write-guard';
import { Gate } from './gate';

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
    private readonly settings: StorageSettings,
    /** Every difference between the servers: repositories and readers ask it, never the server. */
    readonly dialect: StorageDialect,
  ) {}

  get dbName(): string {
    return this.settings.dbName;
  }

  /** Connects; the dialect is `settings.dialect` when forced, else the server's own (STORAGE_DIALECT). */
  static async open(settings: StorageSettings): Promise<MongoConnection> {
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
    const dialect = chooseDialect(settings.dialect ?? 'auto', info);
    MongoConnection.logger.log(
      { db: settings.dbName, server: describeServer(info), dialect: dialect.name },
      'connected to MongoDB',
    );
    return new MongoConnection(connection, settings, dialect);
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
   * Runs `write` once per chunk of at most `dialect.updatesPerCommand` operations, one after the
   * other, with at most `dialect.updateCommandsAtOnce` chunks of this process in flight on the
   * server (every update path goes through here, so the dialect's limits hold process-wide).
   */
  async updateCommands<O>(ops: readonly O[], write: (chunk: O[]) => Promise<void>): Promise<void> {
    const size = this.dialect.updatesPerCommand;
    for (let i = 0; i < ops.length; i += size) {
      const chunk = ops.slice(i, i + size);
      await this.updateGate.run(() => write(chunk));
    }
  }

  private readonly updateGate = new Gate(() => this.dialect.updateCommandsAtOnce);

  /** Documents of collection `name` by _id, read the dialect's way (`$in`, or point reads). */
  findByIds<T extends Document & { _id: string }>(
    name: string,
    ids: readonly string[],
    projection?: Document,
  ): Promise<T[]> {
    return this.dialect.findByIds(this.collection<T>(name), ids, projection);
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
