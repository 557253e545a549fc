// Reads the stored raw events of a time range for `npm run rollups -- rebuild`, in (time, eventId)
// order and in bounded chunks, the way the storage dialect allows without a full scan
// (docs/ARCHITECTURE.md "Raw listings"): an indexed range query on `time_id` where the server
// range-reads indexes, the time directory's entries and point reads of their (packed) documents on
// the point-read dialect. Events stored on the point-read dialect before the directory existed are not
// listed there and so not found.
import {
  compareEntries,
  HOUR_MS,
  type MongoConnection,
  RAW_COLLECTIONS,
  type RawKind,
  RawTimeDirectoryReader,
  readRawDocument,
} from '@tokenmeter/storage';
import type { Document, Filter } from 'mongodb';

/** A raw document as stored: `_id` = eventId, `time` a Date, `src` the message that stored it. */
export interface StoredRawDocument extends Document {
  _id: string;
  time: Date;
  src?: { p: number; o: number };
}

/** Documents per chunk: bounds memory and the size of one point-read window. */
export const RAW_CHUNK = 2_000;

const byTimeThenId = (a: StoredRawDocument, b: StoredRawDocument): number =>
  compareEntries({ timeMs: a.time.getTime(), id: a._id }, { timeMs: b.time.getTime(), id: b._id });

export class RawRangeReader {
  private readonly directory: RawTimeDirectoryReader;

  constructor(private readonly mongo: MongoConnection) {
    this.directory = new RawTimeDirectoryReader(mongo);
  }

  /** The documents of `kind` with fromMs ≤ time < toMs, in (time, eventId) order, in chunks. */
  read(kind: RawKind, fromMs: number, toMs: number): AsyncGenerator<StoredRawDocument[]> {
    switch (this.mongo.dialect.rawListing) {
      case 'index-range':
        return this.readIndexRange(kind, fromMs, toMs);
      case 'time-directory':
        return this.readTimeDirectory(kind, fromMs, toMs);
    }
  }

  private async *readIndexRange(kind: RawKind, fromMs: number, toMs: number): AsyncGenerator<StoredRawDocument[]> {
    const collection = this.mongo.collection<StoredRawDocument>(RAW_COLLECTIONS[kind]);
    // Served by the `time_id` index of RAW_INDEXES.
    const filter: Filter<StoredRawDocument> = { time: { $gte: new Date(fromMs), $lt: new Date(toMs) } };
    const cursor = collection.find(filter, { sort: { time: 1, _id: 1 }, batchSize: RAW_CHUNK });
    let chunk: StoredRawDocument[] = [];
    try {
      for await (const doc of cursor) {
        chunk.push(readRawDocument(doc));
        if (chunk.length >= RAW_CHUNK) {
          yield chunk;
          chunk = [];
        }
      }
    } finally {
      await cursor.close();
    }
    if (chunk.length > 0) yield chunk;
  }

  /** An hour of directory entries at a time, their documents point-read a chunk at a time. */
  private async *readTimeDirectory(kind: RawKind, fromMs: number, toMs: number): AsyncGenerator<StoredRawDocument[]> {
    for (
      let hourMs = fromMs;
      hourMs < toMs;
      hourMs = Math.min(toMs, Math.floor(hourMs / HOUR_MS) * HOUR_MS + HOUR_MS)
    ) {
      const endMs = Math.min(toMs, Math.floor(hourMs / HOUR_MS) * HOUR_MS + HOUR_MS);
      const entries = await this.directory.entriesIn(kind, hourMs, endMs);
      for (let i = 0; i < entries.length; i += RAW_CHUNK) {
        const ids = entries.slice(i, i + RAW_CHUNK).map((e) => e.id);
        const docs = await this.mongo.findByIds<StoredRawDocument>(RAW_COLLECTIONS[kind], ids);
        // Checked again: a directory entry is a hint, the document is the truth.
        const inRange = docs
          .filter((d) => d.time.getTime() >= hourMs && d.time.getTime() < endMs)
          .map((d) => readRawDocument(d));
        if (inRange.length > 0) yield inRange.sort(byTimeThenId);
      }
    }
  }
}
