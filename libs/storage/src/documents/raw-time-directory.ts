// The time directory of the raw event collections: what lets the query API list raw events by
// (time, eventId) on a server that cannot range-read an index (FerretDB 1.24 pushes down only
// `{_id: <string>}`; docs/ARCHITECTURE.md "Raw listings"). MongoDB reads the RAW_INDEXES instead,
// and there the processor writes no directory at all: the storage dialect's `rawListing` decides
// both (../dialect/storage-dialect.ts).
//
// Every directory document is insert-only, at a computable `_id` (FerretDB loses concurrent
// updates of one document, and every partition writes the same minutes):
//   - a SEGMENT `<kind>|m|<minute>|<n>` holds compact entries (time, eventId and the fields the
//     listings filter on) of the events one batch owns in that UTC minute, binary-packed;
//   - an ANNOUNCEMENT `<kind>|h|<hour>|<n>` lists minutes of that UTC hour that have segments, so
//     a reader skips empty minutes with one read per hour instead of one per minute.
// Slots n = 0, 1, 2, … of one key are dense: a writer inserts slot n only after seeing n − 1
// taken, so a reader reads slots in order up to the first missing one. A replayed batch may list
// an event twice and a minute may be announced twice: readers dedupe by eventId and minute.
import type { RAW_COLLECTIONS } from './raw-documents';

export type RawKind = keyof typeof RAW_COLLECTIONS;

export const RAW_TIME_DIRECTORY_COLLECTION = 'raw_time_directory';

/**
 * How raw events are listed in (time, eventId) order: MongoDB range-reads the RAW_INDEXES; FerretDB,
 * which would scan the whole collection for any filter but `{_id}`, reads the time directory, which
 * only its processors write. The storage dialect holds the one choice; both the processor (write it
 * or not) and the query API (read how) ask it.
 */
export type RawListingMethod = 'index-range' | 'time-directory';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Entries per segment document: keeps each under ~70 KB (a point read of ≤ 50 KB costs ~1.3 ms). */
export const MAX_SEGMENT_ENTRIES = 1_000;

/** One listed event: its order key and the fields `GET /v1/events/*` filters on. */
export interface RawListingEntry {
  timeMs: number;
  id: string;
  tenant?: string;
  model?: string;
  node?: string;
  gpuIndex?: number;
}

/** The fields of an entry that listings filter on with `equals` (strict, typed equality). */
export const LISTING_FILTER_FIELDS = ['tenant', 'model', 'node', 'gpuIndex'] as const;

export interface RawSegmentDocument {
  _id: string;
  /** End (exclusive) of the minute: retention deletes the document once all of it is past. */
  end: Date;
  /** `encodeEntries` of the entries, sorted by (time, eventId). */
  e: Uint8Array;
}

export interface RawAnnouncementDocument {
  _id: string;
  /** End (exclusive) of the hour. */
  end: Date;
  /** Minutes of the hour (0-59), one byte each. */
  m: Uint8Array;
}

export type RawDirectoryDocument = RawSegmentDocument | RawAnnouncementDocument;

export const floorTo = (ms: number, unitMs: number): number => Math.floor(ms / unitMs) * unitMs;

export function segmentId(kind: RawKind, minuteMs: number, slot: number): string {
  return `${kind}|m|${new Date(minuteMs).toISOString().slice(0, 16)}|${slot}`;
}

export function announcementId(kind: RawKind, hourMs: number, slot: number): string {
  return `${kind}|h|${new Date(hourMs).toISOString().slice(0, 13)}|${slot}`;
}

/** A stored event as the listings know it: contract time (RFC 3339) and the fields they filter on. */
export interface ListedEvent {
  eventId: string;
  time: string;
  tenant?: string | undefined;
  model?: string | undefined;
  node?: string | undefined;
  gpuIndex?: number | undefined;
}

/** The entry of a stored event: `time` and `eventId` as in the contract, filter fields if present. */
export function listingEntryOf(event: ListedEvent): RawListingEntry {
  const entry: RawListingEntry = { timeMs: Date.parse(event.time), id: event.eventId };
  if (event.tenant !== undefined) entry.tenant = event.tenant;
  if (event.model !== undefined) entry.model = event.model;
  if (event.node !== undefined) entry.node = event.node;
  if (event.gpuIndex !== undefined) entry.gpuIndex = event.gpuIndex;
  return entry;
}

/** Listing order: time, then eventId as MongoDB compares strings (bytes; eventIds are ASCII). */
export function compareEntries(a: { timeMs: number; id: string }, b: { timeMs: number; id: string }): number {
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What one batch writes for one kind: per UTC minute, sorted entries in chunks of one segment each. */
export interface PlannedSegment {
  kind: RawKind;
  minuteMs: number;
  entries: RawListingEntry[];
}

export function planSegments(kind: RawKind, entries: readonly RawListingEntry[]): PlannedSegment[] {
  const byMinute = new Map<number, RawListingEntry[]>();
  for (const entry of entries) {
    const minuteMs = floorTo(entry.timeMs, MINUTE_MS);
    const list = byMinute.get(minuteMs);
    if (list === undefined) byMinute.set(minuteMs, [entry]);
    else list.push(entry);
  }
  const planned: PlannedSegment[] = [];
  for (const minuteMs of [...byMinute.keys()].sort((a, b) => a - b)) {
    const sorted = (byMinute.get(minuteMs) ?? []).sort(compareEntries);
    for (let i = 0; i < sorted.length; i += MAX_SEGMENT_ENTRIES) {
      planned.push({ kind, minuteMs, entries: sorted.slice(i, i + MAX_SEGMENT_ENTRIES) });
    }
  }
  return planned;
}

/** The minutes of the planned segments, per (kind, hour). Keys are `announcementKey`. */
export function minutesByHour(
  planned: readonly PlannedSegment[],
): Map<string, { kind: RawKind; hourMs: number; minutes: Set<number> }> {
  const out = new Map<string, { kind: RawKind; hourMs: number; minutes: Set<number> }>();
  for (const s of planned) {
    const hourMs = floorTo(s.minuteMs, HOUR_MS);
    const key = announcementKey(s.kind, hourMs);
    const group = out.get(key) ?? { kind: s.kind, hourMs, minutes: new Set<number>() };
    group.minutes.add((s.minuteMs - hourMs) / MINUTE_MS);
    out.set(key, group);
  }
  return out;
}

export const announcementKey = (kind: RawKind, hourMs: number): string => `${kind}|${hourMs}`;
export const segmentKey = (kind: RawKind, minuteMs: number): string => `${kind}|${minuteMs}`;

export function segmentDocument(segment: PlannedSegment, slot: number): RawSegmentDocument {
  return {
    _id: segmentId(segment.kind, segment.minuteMs, slot),
    end: new Date(segment.minuteMs + MINUTE_MS),
    e: encodeEntries(segment.entries),
  };
}

export function announcementDocument(
  kind: RawKind,
  hourMs: number,
  slot: number,
  minutes: Iterable<number>,
): RawAnnouncementDocument {
  return {
    _id: announcementId(kind, hourMs, slot),
    end: new Date(hourMs + HOUR_MS),
    m: Uint8Array.from([...minutes].sort((a, b) => a - b)),
  };
}

// Entry encoding, version 1 (little endian):
//   u8 version | u16 string count | (u16 byte length, UTF-8 bytes)* |
//   u32 entry count | (f64 timeMs, u8 id length, id bytes, u16 tenant, u16 model, u16 node, i16 gpuIndex)*
// where a string field is an index into the strings (0xFFFF = absent) and gpuIndex −1 = absent.
const VERSION = 1;
const ABSENT = 0xffff;

export function encodeEntries(entries: readonly RawListingEntry[]): Uint8Array {
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const ref = (s: string | undefined): number => {
    if (s === undefined) return ABSENT;
    let i = indexOf.get(s);
    if (i === undefined) {
      i = strings.length;
      if (i >= ABSENT) throw new Error('too many distinct strings for one segment');
      strings.push(s);
      indexOf.set(s, i);
    }
    return i;
  };
  const refs = entries.map((e) => [ref(e.tenant), ref(e.model), ref(e.node)] as const);
  const stringBytes = strings.map((s) => Buffer.from(s, 'utf8'));
  const idBytes = entries.map((e) => Buffer.from(e.id, 'latin1'));
  let size = 1 + 2 + 4;
  for (const b of stringBytes) size += 2 + b.length;
  for (const b of idBytes) size += 8 + 1 + b.length + 8;
  const out = Buffer.alloc(size);
  let at = out.writeUInt8(VERSION, 0);
  at = out.writeUInt16LE(strings.length, at);
  for (const b of stringBytes) {
    at = out.writeUInt16LE(b.length, at);
    at += b.copy(out, at);
  }
  at = out.writeUInt32LE(entries.length, at);
  entries.forEach((e, i) => {
    const id = idBytes[i] as Buffer;
    const [tenant, model, node] = refs[i] as readonly [number, number, number];
    if (id.length > 255 || /[^\x21-\x7e]/.test(e.id)) throw new Error(`eventId ${e.id} is not 1-255 ASCII characters`);
    at = out.writeDoubleLE(e.timeMs, at);
    at = out.writeUInt8(id.length, at);
    at += id.copy(out, at);
    at = out.writeUInt16LE(tenant, at);
    at = out.writeUInt16LE(model, at);
    at = out.writeUInt16LE(node, at);
    at = out.writeInt16LE(e.gpuIndex ?? -1, at);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function decodeEntries(bytes: Uint8Array): RawListingEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.readUInt8(0) !== VERSION) throw new Error(`unknown segment encoding ${buf.readUInt8(0)}`);
  let at = 1;
  const stringCount = buf.readUInt16LE(at);
  at += 2;
  const strings: string[] = [];
  for (let i = 0; i < stringCount; i += 1) {
    const length = buf.readUInt16LE(at);
    at += 2;
    strings.push(buf.toString('utf8', at, at + length));
    at += length;
  }
  const count = buf.readUInt32LE(at);
  at += 4;
  const str = (i: number): string | undefined => (i === ABSENT ? undefined : strings[i]);
  const entries: RawListingEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const timeMs = buf.readDoubleLE(at);
    const idLength = buf.readUInt8(at + 8);
    at += 9;
    const entry: RawListingEntry = { timeMs, id: buf.toString('latin1', at, at + idLength) };
    at += idLength;
    const tenant = str(buf.readUInt16LE(at));
    const model = str(buf.readUInt16LE(at + 2));
    const node = str(buf.readUInt16LE(at + 4));
    const gpuIndex = buf.readInt16LE(at + 6);
    at += 8;
    if (tenant !== undefined) entry.tenant = tenant;
    if (model !== undefined) entry.model = model;
    if (node !== undefined) entry.node = node;
    if (gpuIndex >= 0) entry.gpuIndex = gpuIndex;
    entries.push(entry);
  }
  if (at !== buf.length) throw new Error('segment encoding has trailing bytes');
  return entries;
}

/** The minutes an announcement lists, as UTC minute starts. */
export function announcedMinutes(doc: { _id: string; m: Uint8Array }, hourMs: number): number[] {
  return [...doc.m].map((m) => hourMs + m * MINUTE_MS);
}
