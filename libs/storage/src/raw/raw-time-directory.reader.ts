// Reads the raw time directory (../documents/raw-time-directory.ts; docs/ARCHITECTURE.md "Raw
// listings") with point reads only: which minutes of a range have segments (one read per hour's
// announcements), and the entries those minutes' segments list. The one walk of the directory:
// the query API's raw listings page through it, and `npm run rollups -- rebuild` enumerates the
// stored events of a range with it on the point-read dialect.
import {
  announcementId,
  compareEntries,
  decodeEntries,
  floorTo,
  HOUR_MS,
  MINUTE_MS,
  RAW_TIME_DIRECTORY_COLLECTION,
  type RawKind,
  type RawListingEntry,
  segmentId,
} from '../documents/raw-time-directory';
import type { MongoConnection } from '../mongo/mongo-connection';

/** Hours whose announcements are read together. */
const HOUR_GROUP = 6;

/** The driver reads a BSON Binary back as an object holding the bytes. */
type StoredBytes = Uint8Array | { buffer: Uint8Array };

export class RawTimeDirectoryReader {
  constructor(private readonly mongo: MongoConnection) {}

  /** Starts of the minutes in [startMs, toMs) that have segments, ascending. */
  async *minutesWithData(kind: RawKind, startMs: number, toMs: number): AsyncGenerator<number> {
    const firstMinute = floorTo(startMs, MINUTE_MS);
    for (let hour = floorTo(startMs, HOUR_MS); hour < toMs; hour += HOUR_GROUP * HOUR_MS) {
      const hours = Array.from({ length: HOUR_GROUP }, (_, i) => hour + i * HOUR_MS).filter((h) => h < toMs);
      const announcements = await this.readDense<{ _id: string; m: StoredBytes }>(
        hours.map((h) => (slot) => announcementId(kind, h, slot)),
      );
      const minutes = new Set<number>();
      announcements.forEach((docs, i) => {
        for (const doc of docs) for (const m of bytesOf(doc.m)) minutes.add((hours[i] as number) + m * MINUTE_MS);
      });
      yield* [...minutes].filter((m) => m >= firstMinute && m < toMs).sort((a, b) => a - b);
    }
  }

  /** The entries of every segment of these minutes, one array per segment, as stored (repeats included). */
  async segmentEntries(kind: RawKind, minutes: readonly number[]): Promise<RawListingEntry[][]> {
    const segments = await this.readDense<{ _id: string; e: StoredBytes }>(
      minutes.map((m) => (slot) => segmentId(kind, m, slot)),
    );
    return segments.flatMap((docs) => docs.map((d) => decodeEntries(bytesOf(d.e))));
  }

  /**
   * Every entry listed for [fromMs, toMs), in (time, eventId) order, each eventId once. Holds the
   * whole range's entries in memory: callers walk long ranges a piece at a time.
   */
  async entriesIn(kind: RawKind, fromMs: number, toMs: number): Promise<RawListingEntry[]> {
    const minutes: number[] = [];
    for await (const minute of this.minutesWithData(kind, fromMs, toMs)) minutes.push(minute);
    const byId = new Map<string, RawListingEntry>();
    for (const entries of await this.segmentEntries(kind, minutes)) {
      for (const entry of entries) if (entry.timeMs >= fromMs && entry.timeMs < toMs) byId.set(entry.id, entry);
    }
    return [...byId.values()].sort(compareEntries);
  }

  /**
   * For each key, its documents at slots 0, 1, 2, … up to the first missing slot (slots are dense).
   * Reads all keys at once, in windows that grow while a key's slots keep being there.
   */
  private async readDense<D extends { _id: string }>(keys: ((slot: number) => string)[]): Promise<D[][]> {
    const out: D[][] = keys.map(() => []);
    let open = keys.map((_, i) => i);
    for (let window = 2; open.length > 0; window = Math.min(window * 2, 16)) {
      const ids = open.flatMap((k) =>
        Array.from({ length: window }, (_, j) => (keys[k] as (slot: number) => string)((out[k] as D[]).length + j)),
      );
      const byId = new Map((await this.mongo.findByIds<D>(RAW_TIME_DIRECTORY_COLLECTION, ids)).map((d) => [d._id, d]));
      open = open.filter((k) => {
        const idOf = keys[k] as (slot: number) => string;
        const docs = out[k] as D[];
        const from = docs.length;
        for (let j = 0; j < window; j += 1) {
          const doc = byId.get(idOf(from + j));
          if (doc === undefined) return false;
          docs.push(doc);
        }
        return true;
      });
    }
    return out;
  }
}

function bytesOf(value: StoredBytes): Uint8Array {
  return value instanceof Uint8Array ? value : value.buffer;
}
