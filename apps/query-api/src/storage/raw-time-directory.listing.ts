// Raw listings from the time directory (the point-read dialect, libs/storage: servers where any
// filter but `{_id}` scans the whole collection): only point reads. From the cursor's minute on, it reads each hour's announcements
// (which minutes have data), then those minutes' segments, a growing group of minutes at a time,
// until it has enough matching entries; orders them by (time, eventId), drops repeats of an eventId
// (a replayed batch lists its events again), and point-reads the page's documents. Every document
// is checked against the query again, and one that is gone (retention) is skipped.
import {
  announcementId,
  compareEntries,
  decodeEntries,
  floorTo,
  HOUR_MS,
  LISTING_FILTER_FIELDS,
  MINUTE_MS,
  type MongoConnection,
  RAW_COLLECTIONS,
  RAW_TIME_DIRECTORY_COLLECTION,
  type RawKind,
  type RawListingEntry,
  segmentId,
} from '@tokenmeter/storage';
import type { EventPageQuery, RawDocument, RawListing } from './raw-listing';

/** Minutes read together at first; the group doubles while the page is not full, up to the maximum. */
const FIRST_MINUTE_GROUP = 2;
const MAX_MINUTE_GROUP = 32;
/** Hours whose announcements are read together. */
const HOUR_GROUP = 6;

/** The driver reads a BSON Binary back as an object holding the bytes. */
type StoredBytes = Uint8Array | { buffer: Uint8Array };

export class TimeDirectoryListing implements RawListing {
  constructor(private readonly mongo: MongoConnection) {}

  async page<T extends RawDocument>(kind: RawKind, q: EventPageQuery): Promise<T[]> {
    const startMs = walkStartMs(q);
    if (startMs >= q.toMs || q.limit <= 0) return [];
    const minutes = this.minutesWithData(kind, startMs, q.toMs);
    const found: T[] = [];
    const candidates: RawListingEntry[] = [];
    let group = FIRST_MINUTE_GROUP;
    let exhausted = false;
    while (found.length < q.limit) {
      const need = q.limit - found.length;
      while (candidates.length < need && !exhausted) {
        const next: number[] = [];
        while (next.length < group) {
          const minute = await minutes.next();
          if (minute.done === true) {
            exhausted = true;
            break;
          }
          next.push(minute.value);
        }
        group = Math.min(group * 2, MAX_MINUTE_GROUP);
        if (next.length > 0) candidates.push(...(await this.entriesOf(kind, next, q)));
      }
      if (candidates.length === 0) break;
      const take = candidates.splice(0, need);
      const docs = await this.mongo.findByIds<T>(
        RAW_COLLECTIONS[kind],
        take.map((e) => e.id),
      );
      const byId = new Map(docs.map((d) => [d._id, d]));
      for (const entry of take) {
        const doc = byId.get(entry.id);
        if (doc !== undefined && documentMatches(doc, q)) found.push(doc);
      }
    }
    return found;
  }

  /** Starts of the minutes in [startMs, toMs) that have segments, ascending. */
  private async *minutesWithData(kind: RawKind, startMs: number, toMs: number): AsyncGenerator<number> {
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

  /** The matching entries of these minutes, in listing order, each eventId once. */
  private async entriesOf(kind: RawKind, minutes: readonly number[], q: EventPageQuery): Promise<RawListingEntry[]> {
    const segments = await this.readDense<{ _id: string; e: StoredBytes }>(
      minutes.map((m) => (slot) => segmentId(kind, m, slot)),
    );
    return pageCandidates(
      segments.flatMap((docs) => docs.map((d) => decodeEntries(bytesOf(d.e)))),
      q,
    );
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

/** Where the walk starts: the range's start, or the cursor's time when that is later. */
export function walkStartMs(q: Pick<EventPageQuery, 'fromMs' | 'after'>): number {
  return q.after === undefined ? q.fromMs : Math.max(q.fromMs, q.after.timeMs);
}

/** Whether an entry may belong on the page (the document is checked again once read). */
export function entryMatches(entry: RawListingEntry, q: EventPageQuery): boolean {
  if (entry.timeMs < q.fromMs || entry.timeMs >= q.toMs) return false;
  if (q.after !== undefined && compareEntries(entry, { timeMs: q.after.timeMs, id: q.after.id }) <= 0) return false;
  for (const field of LISTING_FILTER_FIELDS) {
    if (field in q.equals && entry[field] !== q.equals[field]) return false;
  }
  return q.tenantIn === undefined || (entry.tenant !== undefined && q.tenantIn.includes(entry.tenant));
}

/** The entries of whole minutes that match `q`, in (time, eventId) order, each eventId once. */
export function pageCandidates(segments: readonly RawListingEntry[][], q: EventPageQuery): RawListingEntry[] {
  const byId = new Map<string, RawListingEntry>();
  for (const entries of segments) {
    for (const entry of entries) if (entryMatches(entry, q)) byId.set(entry.id, entry);
  }
  return [...byId.values()].sort(compareEntries);
}

/** Whether a stored document belongs on the page `q` asks for: the same rules as the index query. */
export function documentMatches(doc: RawDocument, q: EventPageQuery): boolean {
  const timeMs = doc.time.getTime();
  if (timeMs < q.fromMs || timeMs >= q.toMs) return false;
  if (q.after !== undefined && (timeMs < q.after.timeMs || (timeMs === q.after.timeMs && doc._id <= q.after.id))) {
    return false;
  }
  const fields = doc as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(q.equals)) if (fields[name] !== value) return false;
  return q.tenantIn === undefined || (doc.tenant !== undefined && q.tenantIn.includes(doc.tenant));
}

function bytesOf(value: StoredBytes): Uint8Array {
  return value instanceof Uint8Array ? value : value.buffer;
}
