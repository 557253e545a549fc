// Raw event storage: one document per distinct eventId (`_id`), written in bulk, and where the
// storage dialect lists from the time directory (servers that read only by _id; libs/storage)
// the directory that lists them.
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
  type RawKind,
  type TokenEventDocument,
  type TokenIntervalDocument,
} from '@tokenmeter/storage';
import { MongoBulkWriteError, type Collection, type Document, type WriteError } from 'mongodb';
import { RawTimeDirectoryWriter } from './raw-time-directory.writer';

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

  async onModuleInit(): Promise<void> {
    for (const kind of Object.keys(RAW_COLLECTIONS) as (keyof typeof RAW_COLLECTIONS)[]) {
      const collection = this.mongo.collection(RAW_COLLECTIONS[kind]);
      for (const index of RAW_INDEXES[kind]) {
        await collection.createIndex(index.keys, { name: index.name, unique: index.unique ?? false });
      }
    }
    this.logger.log('raw collection indexes ensured');
  }

  insertTokenEvents(docs: TokenEventDocument[]): Promise<InsertOutcome> {
    return insertIgnoringDuplicates(this.mongo.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens), docs);
  }

  insertGpuSamples(docs: GpuSampleDocument[]): Promise<InsertOutcome> {
    return insertIgnoringDuplicates(this.mongo.collection<GpuSampleDocument>(RAW_COLLECTIONS.gpu), docs);
  }

  insertTokenIntervals(docs: TokenIntervalDocument[]): Promise<InsertOutcome> {
    return insertIgnoringDuplicates(this.mongo.collection<TokenIntervalDocument>(RAW_COLLECTIONS.tokenIntervals), docs);
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
