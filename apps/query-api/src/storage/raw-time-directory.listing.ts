// Raw listings from the time directory (the point-read dialect, libs/storage: servers where any
// filter but `{_id}` scans the whole collection): only point reads, walking the directory with
// libs/storage's RawTimeDirectoryReader. From the cursor's minute on, it reads each hour's
// announcements (which minutes have data), then those minutes' segments, a growing group of minutes at a time,
// until it has enough matching entries; orders them by (time, eventId), drops repeats of an eventId
// (a replayed batch lists its events again), and point-reads the page's documents (packed on this
// dialect: readRawDocument). Every document is checked against the query again, and one that is
// gone (retention) is skipped.
import {
  compareEntries,
  LISTING_FILTER_FIELDS,
  type MongoConnection,
  RAW_COLLECTIONS,
  type RawKind,
  type RawListingEntry,
  RawTimeDirectoryReader,
  readRawDocument,
} from '@tokenmeter/storage';
import type { EventPageQuery, RawDocument, RawListing } from './raw-listing';

/** Minutes read together at first; the group doubles while the page is not full, up to the maximum. */
const FIRST_MINUTE_GROUP = 2;
const MAX_MINUTE_GROUP = 32;

export class TimeDirectoryListing implements RawListing {
  private readonly directory: RawTimeDirectoryReader;

  constructor(private readonly mongo: MongoConnection) {
    this.directory = new RawTimeDirectoryReader(mongo);
  }

  async page<T extends RawDocument>(kind: RawKind, q: EventPageQuery): Promise<T[]> {
    const startMs = walkStartMs(q);
    if (startMs >= q.toMs || q.limit <= 0) return [];
    const minutes = this.directory.minutesWithData(kind, startMs, q.toMs);
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
      const byId = new Map(docs.map((d) => [d._id, readRawDocument(d)]));
      for (const entry of take) {
        const doc = byId.get(entry.id);
        if (doc !== undefined && documentMatches(doc, q)) found.push(doc);
      }
    }
    return found;
  }

  /** The matching entries of these minutes, in listing order, each eventId once. */
  private async entriesOf(kind: RawKind, minutes: readonly number[], q: EventPageQuery): Promise<RawListingEntry[]> {
    return pageCandidates(await this.directory.segmentEntries(kind, minutes), q);
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
