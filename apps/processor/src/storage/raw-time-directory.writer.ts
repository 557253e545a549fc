// Writes the raw events' time directory (libs/storage/src/documents/raw-time-directory.ts) on
// servers that cannot range-read an index: for each batch, the minutes it has events in are
// announced first (so a segment is never written for a minute no reader can find), then one
// segment per (kind, minute) goes into the next free slot. Insert-only: a duplicate `_id` means
// another writer took the slot, and the write moves on to the next free one.
import {
  announcementDocument,
  announcementId,
  minutesByHour,
  type MongoConnection,
  type PlannedSegment,
  planSegments,
  RAW_TIME_DIRECTORY_COLLECTION,
  type RawDirectoryDocument,
  type RawKind,
  type RawListingEntry,
  segmentDocument,
  segmentId,
  segmentKey,
} from '@tokenmeter/storage';
import { MongoBulkWriteError, type Collection, type WriteError } from 'mongodb';

/** Remembered slots and announcements are hints; past this many keys they are dropped and re-learned. */
const MAX_REMEMBERED = 10_000;

interface SlotClaim {
  /** Claims with one key share its slots (one kind's minute, or one kind's hour). */
  key: string;
  firstSlot: number;
  build: (slot: number) => RawDirectoryDocument;
  idOf: (slot: number) => string;
  done: (slot: number) => void;
}

interface HourState {
  /** Announcement slots read or written so far (all of 0..slots-1 are taken). */
  slots: number;
  minutes: Set<number>;
}

export class RawTimeDirectoryWriter {
  /** Next slot to try per segmentKey: every slot below it is taken. */
  private readonly nextSegmentSlot = new Map<string, number>();
  private readonly hours = new Map<string, HourState>();

  constructor(private readonly mongo: MongoConnection) {}

  private get collection(): Collection<RawDirectoryDocument> {
    return this.mongo.collection<RawDirectoryDocument>(RAW_TIME_DIRECTORY_COLLECTION);
  }

  /** Lists these stored events (the events a batch owns) under their minutes. Idempotent for readers. */
  async record(entries: Partial<Record<RawKind, readonly RawListingEntry[]>>): Promise<void> {
    const planned = (Object.keys(entries) as RawKind[]).flatMap((kind) => planSegments(kind, entries[kind] ?? []));
    if (planned.length === 0) return;
    if (this.nextSegmentSlot.size > MAX_REMEMBERED) this.nextSegmentSlot.clear();
    if (this.hours.size > MAX_REMEMBERED) this.hours.clear();
    await this.announce(planned);
    await this.insertSegments(planned);
  }

  private async announce(planned: readonly PlannedSegment[]): Promise<void> {
    const wanted = [...minutesByHour(planned).entries()].map(([key, g]) => ({ ...g, key }));
    const missing = (g: (typeof wanted)[number]) => {
      const known = this.hours.get(g.key)?.minutes;
      return [...g.minutes].filter((m) => known === undefined || !known.has(m));
    };
    // Learn what other writers announced since we last looked, for the hours that seem to lack a minute.
    const stale = wanted.filter((g) => missing(g).length > 0);
    await Promise.all(stale.map((g) => this.refreshHour(g.kind, g.hourMs, g.key)));
    const claims: SlotClaim[] = [];
    for (const g of wanted) {
      const minutes = missing(g);
      if (minutes.length === 0) continue;
      claims.push({
        key: g.key,
        firstSlot: this.hours.get(g.key)?.slots ?? 0,
        build: (slot) => announcementDocument(g.kind, g.hourMs, slot, minutes),
        idOf: (slot) => announcementId(g.kind, g.hourMs, slot),
        done: (slot) => {
          const state = this.hourState(g.key);
          state.slots = Math.max(state.slots, slot + 1);
          for (const m of minutes) state.minutes.add(m);
        },
      });
    }
    await this.claimSlots(claims);
  }

  private async insertSegments(planned: readonly PlannedSegment[]): Promise<void> {
    await this.claimSlots(
      planned.map((s) => {
        const key = segmentKey(s.kind, s.minuteMs);
        return {
          key,
          firstSlot: this.nextSegmentSlot.get(key) ?? 0,
          build: (slot) => segmentDocument(s, slot),
          idOf: (slot) => segmentId(s.kind, s.minuteMs, slot),
          done: (slot) => this.nextSegmentSlot.set(key, Math.max(this.nextSegmentSlot.get(key) ?? 0, slot + 1)),
        };
      }),
    );
  }

  /** Reads the announcements of an hour from the first slot not read yet up to the first free one. */
  private async refreshHour(kind: RawKind, hourMs: number, key: string): Promise<void> {
    const state = this.hourState(key);
    for (let window = 2; ; window = Math.min(window * 2, 16)) {
      const ids = Array.from({ length: window }, (_, i) => announcementId(kind, hourMs, state.slots + i));
      const found = await this.mongo.findByIds<{ _id: string; m: { buffer: Uint8Array } | Uint8Array }>(
        RAW_TIME_DIRECTORY_COLLECTION,
        ids,
      );
      const byId = new Map(found.map((d) => [d._id, d]));
      for (const id of ids) {
        const doc = byId.get(id);
        if (doc === undefined) return;
        for (const m of bytesOf(doc.m)) state.minutes.add(m);
        state.slots += 1;
      }
    }
  }

  private hourState(key: string): HourState {
    let state = this.hours.get(key);
    if (state === undefined) {
      state = { slots: 0, minutes: new Set() };
      this.hours.set(key, state);
    }
    return state;
  }

  /**
   * Inserts each document at the first free slot of its key. Claims of one key go one at a time, so
   * a failed insert never leaves a hole below a slot this writer took (readers stop at a hole);
   * a slot another writer took sends the claim to the first free slot after it.
   */
  private async claimSlots(claims: readonly SlotClaim[]): Promise<void> {
    const queues = new Map<string, { slot: number; claims: SlotClaim[] }>();
    for (const c of claims) {
      const queue = queues.get(c.key);
      if (queue === undefined) queues.set(c.key, { slot: c.firstSlot, claims: [c] });
      else queue.claims.push(c);
    }
    for (let round = 0; queues.size > 0; round += 1) {
      if (round > 1_000) throw new Error('could not claim free time directory slots in 1,000 rounds');
      const heads = [...queues.entries()].map(([key, queue]) => ({ key, queue, claim: queue.claims[0] as SlotClaim }));
      const taken = await this.insertUnordered(heads.map((h) => h.claim.build(h.queue.slot)));
      await Promise.all(
        heads.map(async (h, i) => {
          if (taken.has(i)) {
            h.queue.slot = await this.firstFreeSlot(h.claim.idOf, h.queue.slot + 1);
            return;
          }
          h.claim.done(h.queue.slot);
          h.queue.slot += 1;
          h.queue.claims.shift();
          if (h.queue.claims.length === 0) queues.delete(h.key);
        }),
      );
    }
  }

  /** The first slot ≥ from whose document does not exist: exponential then binary search. */
  private async firstFreeSlot(idOf: (slot: number) => string, from: number): Promise<number> {
    const exists = async (slot: number) =>
      (await this.collection.findOne({ _id: idOf(slot) }, { projection: { _id: 1 } })) !== null;
    if (!(await exists(from))) return from;
    let low = from; // taken
    let step = 1;
    let high = from + step;
    while (await exists(high)) {
      low = high;
      step *= 2;
      high = from + step;
    }
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await exists(mid)) low = mid;
      else high = mid;
    }
    return high;
  }

  /** Indexes of the documents whose `_id` already existed. */
  private async insertUnordered(docs: RawDirectoryDocument[]): Promise<Set<number>> {
    try {
      await this.collection.insertMany(docs, { ordered: false });
      return new Set();
    } catch (error) {
      if (error instanceof MongoBulkWriteError) {
        const writeErrors = ([] as WriteError[]).concat(error.writeErrors);
        if (writeErrors.length > 0 && writeErrors.every((w) => w.code === 11000)) {
          return new Set(writeErrors.map((w) => w.index));
        }
      } else if (docs.length === 1 && (error as { code?: unknown }).code === 11000) {
        return new Set([0]);
      }
      throw error;
    }
  }
}

function bytesOf(value: { buffer: Uint8Array } | Uint8Array): Uint8Array {
  return value instanceof Uint8Array ? value : value.buffer;
}
