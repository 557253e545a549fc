// Raw event storage: one document per distinct eventId (`_id`), written in bulk, and where the
// storage dialect lists from the time directory (servers that read only by _id; libs/storage)
// the directory that lists them, and the documents packed (libs/storage raw-stored-shape.ts).
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  type GpuSampleDocument,
  isDuplicateKeyError,
  type ListedEvent,
  listingEntryOf,
  type MessageSource,
  MongoConnection,
  RAW_COLLECTIONS,
  RAW_INDEXES,
  rawIndexesFor,
  type RawKind,
  storedRawDocument,
  type TokenEventDocument,
  type TokenIntervalDocument,
} from '@tokenmeter/storage';
import { MongoBulkWriteError, type Collection, type Document, type WriteError } from 'mongodb';
import { RawTimeDirectoryWriter } from './raw-time-directory.writer';

/** Server error codes: a collection that does not exist yet, an index that is not there. */
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;

/** A rejection handler that turns the server error `code` into `value` and rethrows any other. */
function ignoreCode<V>(code: number, value: V): (error: unknown) => V {
  return (error) => {
    if ((error as { code?: unknown }).code === code) return value;
    throw error;
  };
}

export interface InsertOutcome {
  inserted: number;
  duplicates: number;
  /** Indexes (into the documents given) that were not inserted because the _id exists. */
  duplicateIndexes: number[];
}

@Injectable()
export class RawEventRepository implements OnModuleInit {
  private readonly logger = new Logger(RawEventRepository.name);

  /** Undefined where the dialect range-reads RAW_INDEXES (`index-range`): nothing to write then. */
  private readonly directory: RawTimeDirectoryWriter | undefined;

  constructor(private readonly mongo: MongoConnection) {
    this.directory = mongo.dialect.rawListing === 'time-directory' ? new RawTimeDirectoryWriter(mongo) : undefined;
  }

  /**
   * Creates the raw indexes the dialect's listings read. Where nothing reads them (the time
   * directory lists), it drops listing indexes an earlier version created: the server maintains
   * them on every insert for no query.
   */
  async onModuleInit(): Promise<void> {
    const listing = this.mongo.dialect.rawListing;
    for (const kind of Object.keys(RAW_COLLECTIONS) as (keyof typeof RAW_COLLECTIONS)[]) {
      const collection = this.mongo.collection(RAW_COLLECTIONS[kind]);
      const wanted = rawIndexesFor(kind, listing);
      for (const index of wanted) {
        await collection.createIndex(index.keys, { name: index.name, unique: index.unique ?? false });
      }
      const unwanted = RAW_INDEXES[kind].filter((index) => !wanted.some((w) => w.name === index.name));
      if (unwanted.length > 0) await this.dropIndexes(kind, unwanted);
    }
    this.logger.log('raw collection indexes ensured');
  }

  insertTokenEvents(docs: TokenEventDocument[]): Promise<InsertOutcome> {
    return this.insert('tokens', docs);
  }

  insertGpuSamples(docs: GpuSampleDocument[]): Promise<InsertOutcome> {
    return this.insert('gpu', docs);
  }

  insertTokenIntervals(docs: TokenIntervalDocument[]): Promise<InsertOutcome> {
    return this.insert('tokenIntervals', docs);
  }

  private insert<T extends TokenEventDocument | GpuSampleDocument | TokenIntervalDocument>(
    kind: RawKind,
    docs: T[],
  ): Promise<InsertOutcome> {
    const listing = this.mongo.dialect.rawListing;
    return insertIgnoringDuplicates(
      this.mongo.collection<Document & { _id: string }>(RAW_COLLECTIONS[kind]),
      docs.map((doc) => storedRawDocument(doc, listing)),
    );
  }

  private async dropIndexes(kind: RawKind, indexes: readonly { name: string }[]): Promise<void> {
    const collection = this.mongo.collection(RAW_COLLECTIONS[kind]);
    const existing = new Set(
      (await collection.listIndexes().toArray().catch(ignoreCode(NAMESPACE_NOT_FOUND, []))).map((i) =>
        String((i as { name?: unknown }).name),
      ),
    );
    for (const { name } of indexes) {
      if (!existing.has(name)) continue;
      // Another processor starting at the same time may have dropped it first.
      await collection.dropIndex(name).catch(ignoreCode(INDEX_NOT_FOUND, undefined));
      this.logger.log(
        `dropped raw index ${RAW_COLLECTIONS[kind]}.${name}: this storage dialect lists raw events without it`,
      );
    }
  }

  /**
   * Makes stored events listable: call with exactly the events a batch OWNS (inserted now, or by
   * this very message before a crash), after their raw insert. Each stored event is owned by the
   * one message that stored it, so it is listed once (a replayed batch may list it again; readers
   * dedupe by eventId).
   */
  async recordListing(owned: Partial<Record<RawKind, readonly ListedEvent[]>>): Promise<void> {
    if (this.directory === undefined) return;
    const entries: Partial<Record<RawKind, ReturnType<typeof listingEntryOf>[]>> = {};
    for (const kind of Object.keys(owned) as RawKind[]) entries[kind] = (owned[kind] ?? []).map(listingEntryOf);
    await this.directory.record(entries);
  }

  /** The message that stored each of these events, for the replay ownership check. */
  async sourcesOf(kind: keyof typeof RAW_COLLECTIONS, ids: string[]): Promise<Map<string, MessageSource | undefined>> {
    const sources = new Map<string, MessageSource | undefined>();
    if (ids.length === 0) return sources;
    const docs = await this.mongo.findByIds<{ _id: string; src?: MessageSource }>(RAW_COLLECTIONS[kind], ids, {
      src: 1,
    });
    for (const doc of docs) sources.set(doc._id, doc.src);
    return sources;
  }
}

/**
 * Unordered bulk insert: every new document is written even when others already exist.
 * A duplicate `_id` is the expected outcome of a replay or a client retry, not an error;
 * any other write error fails the call so the batch is retried and not committed.
 */
async function insertIgnoringDuplicates<T extends Document & { _id: string }>(
  collection: Collection<T>,
  docs: T[],
): Promise<InsertOutcome> {
  if (docs.length === 0) return { inserted: 0, duplicates: 0, duplicateIndexes: [] };
  try {
    // The driver's OptionalUnlessRequiredId<T> cannot be inferred through the generic T.
    const result = await collection.insertMany(docs as unknown as Parameters<Collection<T>['insertMany']>[0], {
      ordered: false,
    });
    return { inserted: result.insertedCount, duplicates: 0, duplicateIndexes: [] };
  } catch (error) {
    if (error instanceof MongoBulkWriteError) {
      const writeErrors = ([] as WriteError[]).concat(error.writeErrors);
      if (writeErrors.length > 0 && writeErrors.every((w) => w.code === 11000)) {
        return {
          inserted: docs.length - writeErrors.length,
          duplicates: writeErrors.length,
          duplicateIndexes: writeErrors.map((w) => w.index),
        };
      }
    } else if (isDuplicateKeyError(error) && docs.length === 1) {
      return { inserted: 0, duplicates: 1, duplicateIndexes: [0] };
    }
    throw error;
  }
}
