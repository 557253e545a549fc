// The slots of a rollup bucket document, packed into one binary field (docs/adr/0001).
//
// A bucket document holds the rollups of one series over one container span (an hour of minute
// slots, a week of hour slots, a month of day slots). FerretDB parses every field of a document
// on each read and each update (about 4 µs a field on the local machine), so an hour of minute
// slots as nested fields costs 8 ms to read and 17 ms to update; packed into one Binary field it
// costs 0.7 and 1.4 ms. The packing is exact: counters are unsigned integers up to 2^53 (a
// larger one is refused, never wrapped), everything else is an IEEE double, an absent field
// stays absent.
//
// Layout (all integers are LEB128 varints):
//   blob  = version(1 byte = 1) slotCount slot*            slots in ascending index order
//   slot  = index presentMask value* histogram*            one value per present field, in schema order
//   value = varint (counts) | float64 little-endian (sums, mins, maxes)
//   histogram = entryCount (bucketIndexDelta count)*        per schema histogram, ascending bucket index
import { bucketKey, type HistogramCounts } from './histogram';

export const SLOT_FORMAT_VERSION = 1;

/** The fields of a slot, by how they combine: added (integer or double), lowered, raised. */
export interface SlotSchema {
  readonly counts: readonly string[];
  readonly sums: readonly string[];
  readonly mins: readonly string[];
  readonly maxes: readonly string[];
  readonly histograms: readonly string[];
}

export const TOKEN_SLOT_SCHEMA: SlotSchema = {
  counts: ['requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'ttftCount'],
  sums: ['durationMsSum', 'ttftMsSum'],
  mins: ['durationMsMin', 'ttftMsMin'],
  maxes: ['durationMsMax', 'ttftMsMax'],
  histograms: ['durationH', 'ttftH'],
};

export const GPU_SLOT_SCHEMA: SlotSchema = {
  counts: ['samples', 'samplesWithoutUtilization', 'energySamples'],
  sums: ['utilizationPctSum', 'memoryUsedMiBSum', 'powerWSum'],
  mins: ['energyJMin'],
  maxes: ['utilizationPctMax', 'memoryUsedMiBMax', 'powerWMax', 'temperatureCMax', 'energyJMax'],
  histograms: [],
};

/** One slot: scalar fields by name, histograms by name (`b<i>` → count). */
export interface RollupSlot {
  values: Record<string, number>;
  histograms: Record<string, HistogramCounts>;
}

/** The slots of one bucket document, by index within its container. */
export type RollupSlots = Map<number, RollupSlot>;

/** The change one batch makes to one slot (see `RollupDelta` in rollup-documents.ts). */
export interface SlotChange {
  /** Integer counters; a `histogram.b<i>` key adds to that histogram bucket. */
  counts: Record<string, number>;
  sums: Record<string, number>;
  min: Record<string, number>;
  max: Record<string, number>;
}

export function emptySlot(): RollupSlot {
  return { values: {}, histograms: {} };
}

/** Adds a change to a slot in place: the rollup arithmetic shared by the writer and rebuilds. */
export function applySlotChange(slot: RollupSlot, change: SlotChange): void {
  for (const [key, by] of Object.entries(change.counts)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      slot.values[key] = (slot.values[key] ?? 0) + by;
      continue;
    }
    const name = key.slice(0, dot);
    const bucket = key.slice(dot + 1);
    const histogram = (slot.histograms[name] ??= {});
    histogram[bucket] = (histogram[bucket] ?? 0) + by;
  }
  for (const [key, by] of Object.entries(change.sums)) slot.values[key] = (slot.values[key] ?? 0) + by;
  for (const [key, v] of Object.entries(change.min)) {
    const current = slot.values[key];
    if (current === undefined || v < current) slot.values[key] = v;
  }
  for (const [key, v] of Object.entries(change.max)) {
    const current = slot.values[key];
    if (current === undefined || v > current) slot.values[key] = v;
  }
}

/** A counter that cannot be stored exactly (negative, fractional or above 2^53). */
export class SlotEncodingError extends Error {
  constructor(detail: string) {
    super(`rollup slot cannot be encoded exactly: ${detail}`);
    this.name = 'SlotEncodingError';
  }
}

class Writer {
  private buffer = Buffer.allocUnsafe(256);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  varint(v: number, what: string): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new SlotEncodingError(`${what} = ${v}`);
    this.reserve(8);
    let rest = v;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  double(v: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  byte(): number {
    const b = this.data[this.offset];
    if (b === undefined) throw new Error('rollup slots: truncated');
    this.offset += 1;
    return b;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new Error('rollup slots: varint too long');
    }
  }

  double(): number {
    if (this.offset + 8 > this.data.length) throw new Error('rollup slots: truncated');
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  get done(): boolean {
    return this.offset >= this.data.length;
  }
}

function scalarFields(schema: SlotSchema): { name: string; integer: boolean }[] {
  return [
    ...schema.counts.map((name) => ({ name, integer: true })),
    ...[...schema.sums, ...schema.mins, ...schema.maxes].map((name) => ({ name, integer: false })),
  ];
}

const FIELDS = new WeakMap<SlotSchema, { name: string; integer: boolean }[]>();

function fieldsOf(schema: SlotSchema): { name: string; integer: boolean }[] {
  let fields = FIELDS.get(schema);
  if (fields === undefined) {
    fields = scalarFields(schema);
    if (fields.length > 30) throw new Error('a slot schema holds at most 30 scalar fields');
    FIELDS.set(schema, fields);
  }
  return fields;
}

export function encodeSlots(schema: SlotSchema, slots: RollupSlots): Buffer {
  const fields = fieldsOf(schema);
  const w = new Writer();
  w.byte(SLOT_FORMAT_VERSION);
  const indexes = [...slots.keys()].sort((a, b) => a - b);
  w.varint(indexes.length, 'slot count');
  for (const index of indexes) {
    const slot = slots.get(index) as RollupSlot;
    w.varint(index, 'slot index');
    let mask = 0;
    fields.forEach((f, i) => {
      if (slot.values[f.name] !== undefined) mask += 2 ** i;
    });
    w.varint(mask, 'field mask');
    for (const f of fields) {
      const v = slot.values[f.name];
      if (v === undefined) continue;
      if (f.integer) w.varint(v, f.name);
      else w.double(v);
    }
    for (const name of schema.histograms) {
      const entries = Object.entries(slot.histograms[name] ?? {})
        .map(([key, count]) => [Number(key.slice(1)), count] as const)
        .filter(([, count]) => count !== 0)
        .sort((a, b) => a[0] - b[0]);
      w.varint(entries.length, `${name} size`);
      let previous = 0;
      for (const [bucket, count] of entries) {
        w.varint(bucket - previous, `${name} bucket`);
        w.varint(count, `${name}.${bucketKey(bucket)}`);
        previous = bucket;
      }
    }
  }
  return w.bytes();
}

/** The bytes of a stored binary field: the driver returns a `Binary`, tests may pass a Buffer. */
export function binaryBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'object' && value !== null && 'buffer' in value) {
    const inner = value.buffer;
    if (inner instanceof Uint8Array) {
      const position = (value as { position?: unknown }).position;
      return typeof position === 'number' ? inner.subarray(0, position) : inner;
    }
  }
  throw new Error('the stored value is not binary');
}

/**
 * The slots of packed bytes; with `keep`, only the slots it accepts (the others are skipped over
 * without building them).
 */
export function decodeSlots(schema: SlotSchema, data: Uint8Array, keep?: (index: number) => boolean): RollupSlots {
  const fields = fieldsOf(schema);
  const slots: RollupSlots = new Map();
  if (data.length === 0) return slots;
  const r = new Reader(data);
  const version = r.byte();
  if (version !== SLOT_FORMAT_VERSION) throw new Error(`rollup slots: unknown format version ${version}`);
  const count = r.varint();
  for (let n = 0; n < count; n += 1) {
    const index = r.varint();
    const wanted = keep === undefined || keep(index);
    let mask = r.varint();
    const slot = emptySlot();
    for (const f of fields) {
      const present = (mask & 1) === 1;
      mask >>>= 1;
      if (present) slot.values[f.name] = f.integer ? r.varint() : r.double();
    }
    for (const name of schema.histograms) {
      const size = r.varint();
      if (size === 0) continue;
      const histogram: HistogramCounts = {};
      let bucket = 0;
      for (let i = 0; i < size; i += 1) {
        bucket += r.varint();
        const count = r.varint();
        if (wanted) histogram[bucketKey(bucket)] = count;
      }
      slot.histograms[name] = histogram;
    }
    if (wanted) slots.set(index, slot);
  }
  if (!r.done) throw new Error('rollup slots: trailing bytes');
  return slots;
}
