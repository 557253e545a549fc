// The storage dialect: every difference between the servers tokenmeter stores to, in one object
// chosen once when the connection opens (MongoConnection.open) and read by the repositories,
// readers and listings of the apps, which never ask which server answers.
//
// FerretDB 1.24 (SQLite backend; scripts/dev/README.md, docs/ARCHITECTURE.md "The storage library
// and its dialect") pushes down only a filter that is exactly `{_id: <value>}`: any other filter,
// `$in` and index ranges included, scans the whole collection. It applies updates without a
// lock, so a compare-and-set filter guards nothing there, and it holds one pooled SQLite
// connection per statement of an `update` command until the command ends. MongoDB has none of
// these limits. So:
//
// | behaviour                  | mongodb                  | ferretdb (the point-read dialect)      |
// | -------------------------- | ------------------------ | -------------------------------------- |
// | update statements/command  | 500                      | 30                                     |
// | update commands at a time  | any number               | 1 per process                          |
// | rollup writes              | compare-and-set on `v`   | by `_id` only (one writer/partition)   |
// | rollup reads               | `range` (indexed)        | `point` (computed `_id`s)              |
// | raw listings               | `index-range`            | `time-directory` (the processor writes it) |
// | documents by ids           | one `$in` query          | point reads, 16 at a time              |
//
// STORAGE_DIALECT=auto (the default) takes the dialect of the server that answers (`buildInfo`
// carries `ferretdbVersion` on FerretDB); `mongodb` or `ferretdb` force one, for operators (a
// proxy that hides the server) and for tests that run the MongoDB paths against FerretDB.
import type { Collection, Document, Filter } from 'mongodb';
import type { RawListingMethod } from '../documents/raw-time-directory';

export const STORAGE_DIALECT_NAMES = ['mongodb', 'ferretdb'] as const;
export type StorageDialectName = (typeof STORAGE_DIALECT_NAMES)[number];

/** What STORAGE_DIALECT asks for: a dialect, or `auto` (the server's own). */
export type StorageDialectChoice = 'auto' | StorageDialectName;
export const STORAGE_DIALECT_CHOICES: readonly StorageDialectChoice[] = ['auto', ...STORAGE_DIALECT_NAMES];

/** How rollup bucket documents are found: indexed range queries, or point reads of computed `_id`s. */
export type RollupReadMethod = 'range' | 'point';

export interface StorageDialect {
  readonly name: StorageDialectName;
  /** The most update statements one bulk write should carry. */
  readonly updatesPerCommand: number;
  /** The most update commands one process may have in flight on the server at once. */
  readonly updateCommandsAtOnce: number;
  /**
   * Whether a rollup update is conditioned on the version it was computed from, so a zombie
   * writer fails instead of overwriting: only where the server evaluates that atomically.
   */
  readonly compareAndSetWrites: boolean;
  readonly rollupReads: RollupReadMethod;
  /** How raw events are listed in (time, eventId) order; `time-directory` also makes the processor write it. */
  readonly rawListing: RawListingMethod;
  /** The documents of `collection` with these `_id`s (missing ones left out, in no particular order). */
  findByIds<T extends Document & { _id: string }>(
    collection: Collection<T>,
    ids: readonly string[],
    projection?: Document,
  ): Promise<T[]>;
}

/** Parallel point reads of the point-read dialect: enough to hide round trips, few enough for FerretDB's pool. */
export const POINT_READ_CONCURRENCY = 16;

/**
 * Update statements per `update` command, and commands in flight per process. FerretDB 1.24
 * (SQLite) keeps every statement's query cursor, and so one of its 100 pooled SQLite connections
 * per database, open until the whole command ends; concurrent commands that together hold about
 * 100 wait for each other forever (scripts/dev/README.md). Each statement is also its own SQLite
 * transaction behind a per-command cost of several milliseconds, so larger commands are cheaper:
 * 0.8–1.2 ms a statement at 10 per command, 0.26–0.4 ms at 50 (docs/adr/0003). One command at a
 * time per process (MongoConnection.updateCommands) and 30 statements each keep three processors
 * on one database at 90 held connections at most. MongoDB has neither limit.
 */
const UPDATES_PER_COMMAND: Record<StorageDialectName, number> = { ferretdb: 30, mongodb: 500 };
const UPDATE_COMMANDS_AT_ONCE: Record<StorageDialectName, number> = {
  ferretdb: 1,
  mongodb: Number.POSITIVE_INFINITY,
};

function options(projection: Document | undefined): { projection?: Document } {
  return projection === undefined ? {} : { projection };
}

/** One `$in` query: the server reads the `_id` index. */
async function findByIdsIn<T extends Document & { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  projection?: Document,
): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  return (await collection.find({ _id: { $in: unique } } as Filter<T>, options(projection)).toArray()) as T[];
}

/**
 * Point reads `{_id: id}`, the only filter FerretDB's SQLite backend pushes down (`$in` would scan
 * the whole collection), in a sliding window: a new read starts as soon as one ends, so one slow
 * read holds up nothing.
 */
async function findByIdsPointReads<T extends Document & { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
  projection?: Document,
): Promise<T[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const id = unique[next] as string;
      next += 1;
      const doc = await collection.findOne({ _id: id } as Filter<T>, options(projection));
      if (doc !== null) found.push(doc as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(POINT_READ_CONCURRENCY, unique.length) }, worker));
  return found;
}

export const STORAGE_DIALECTS: Readonly<Record<StorageDialectName, StorageDialect>> = {
  mongodb: Object.freeze({
    name: 'mongodb',
    updatesPerCommand: UPDATES_PER_COMMAND.mongodb,
    updateCommandsAtOnce: UPDATE_COMMANDS_AT_ONCE.mongodb,
    compareAndSetWrites: true,
    rollupReads: 'range',
    rawListing: 'index-range',
    findByIds: findByIdsIn,
  }),
  ferretdb: Object.freeze({
    name: 'ferretdb',
    updatesPerCommand: UPDATES_PER_COMMAND.ferretdb,
    updateCommandsAtOnce: UPDATE_COMMANDS_AT_ONCE.ferretdb,
    // Updates apply without a lock: exclusion rests on one writer per partition (docs/ARCHITECTURE.md).
    compareAndSetWrites: false,
    rollupReads: 'point',
    rawListing: 'time-directory',
    findByIds: findByIdsPointReads,
  }),
};

/** The dialect of the server that answered `buildInfo`: FerretDB reports `ferretdbVersion`. */
export function dialectFor(buildInfo: Document): StorageDialect {
  return STORAGE_DIALECTS[typeof buildInfo.ferretdbVersion === 'string' ? 'ferretdb' : 'mongodb'];
}

/** The dialect STORAGE_DIALECT asks for, `auto` resolved against the server's `buildInfo`. */
export function chooseDialect(choice: StorageDialectChoice, buildInfo: Document): StorageDialect {
  return choice === 'auto' ? dialectFor(buildInfo) : STORAGE_DIALECTS[choice];
}

/** The server's product and version for logs and reports, e.g. "FerretDB 1.24.0" or "MongoDB 8.0.4". */
export function describeServer(buildInfo: Document): string {
  return typeof buildInfo.ferretdbVersion === 'string'
    ? `FerretDB ${buildInfo.ferretdbVersion}`
    : `MongoDB ${String(buildInfo.version)}`;
}
