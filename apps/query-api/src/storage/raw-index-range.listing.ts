// Raw listings by index range (MongoDB): one query served by the (time, _id) indexes of RAW_INDEXES.
import { type MongoConnection, RAW_COLLECTIONS, type RawKind } from '@tokenmeter/storage';
import type { Filter } from 'mongodb';
import type { EventPageQuery, RawDocument, RawListing } from './raw-listing';

export class IndexRangeListing implements RawListing {
  constructor(private readonly mongo: MongoConnection) {}

  page<T extends RawDocument>(kind: RawKind, q: EventPageQuery): Promise<T[]> {
    const clauses: Record<string, unknown>[] = [
      { time: { $gte: new Date(q.fromMs), $lt: new Date(q.toMs) } },
      q.equals,
    ];
    if (q.tenantIn !== undefined) clauses.push({ tenant: { $in: [...q.tenantIn] } });
    if (q.after !== undefined) {
      const t = new Date(q.after.timeMs);
      clauses.push({ $or: [{ time: { $gt: t } }, { time: t, _id: { $gt: q.after.id } }] });
    }
    // Served by the (time, _id) indexes declared in RAW_INDEXES.
    return this.mongo
      .collection<T>(RAW_COLLECTIONS[kind])
      .find({ $and: clauses } as Filter<T>)
      .sort({ time: 1, _id: 1 })
      .limit(q.limit)
      .toArray() as Promise<T[]>;
  }
}
