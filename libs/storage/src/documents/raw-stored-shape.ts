// How a raw document is laid out on the server, by how the storage dialect lists raw events
// (docs/adr/0004-packed-raw-documents.md):
//   - `index-range` (MongoDB): every field a field, with the RAW_INDEXES the listings range-read;
//   - `time-directory` (FerretDB): the server is only ever asked for a raw document by `_id`
//     (ownership checks, listings, the rebuild) or for documents older than a time (retention).
//     So the document keeps `_id`, `time` and `src` as fields and packs every other field into
//     one BSON Binary `b`, and has no secondary indexes: FerretDB 1.24 pays for every field of a
//     document it inserts and maintains every index, and uses neither to answer these queries.
//     Measured on 80,000 bench events (bench/results/raw-shape-latest.json): 7,100–7,600
//     documents/s with the listing indexes, 9,200–10,500 without them, 11,100–12,200 packed.
// Readers call `readRawDocument`, which takes either layout, so a database written before the
// packed layout (or by a processor of the other dialect) reads the same.
import { BSON, Binary } from 'mongodb';
import type { RawListingMethod } from './raw-time-directory';
import { type IndexDefinition, RAW_INDEXES, type RAW_COLLECTIONS, type MessageSource } from './raw-documents';
import { binaryBytes } from './rollup-slots';

/** The fields a packed raw document keeps outside `b`: the `_id`, and what the server filters on. */
export interface PackedRawDocument {
  _id: string;
  time: Date;
  src?: MessageSource;
  /** Every other field of the document, BSON-encoded. */
  b: Binary;
}

/** What every raw document shape has, whichever collection it is in. */
interface RawDocumentCore {
  _id: string;
  time: Date;
  src?: MessageSource;
}

/** The secondary indexes a raw collection has where raw events are listed this way. */
export function rawIndexesFor(kind: keyof typeof RAW_COLLECTIONS, listing: RawListingMethod): IndexDefinition[] {
  return listing === 'index-range' ? RAW_INDEXES[kind] : [];
}

/** The document to insert for `doc` where raw events are listed this way. */
export function storedRawDocument<T extends RawDocumentCore>(doc: T, listing: RawListingMethod): T | PackedRawDocument {
  if (listing === 'index-range') return doc;
  const { _id, time, src, ...rest } = doc;
  const b = new Binary(BSON.serialize(rest, { ignoreUndefined: true }));
  return src === undefined ? { _id, time, b } : { _id, time, src, b };
}

/** A raw document as read from the server, in either layout, with every field a field again. */
export function readRawDocument<T extends RawDocumentCore>(stored: T | PackedRawDocument): T {
  if (!('b' in stored)) return stored;
  const { b, ...kept } = stored;
  const packed = BSON.deserialize(binaryBytes(b), { promoteValues: true });
  return { ...packed, ...kept } as unknown as T;
}
