// Reads of the raw event collections (written by the processor).
import { Injectable } from '@nestjs/common';
import {
  type GpuSampleDocument,
  RAW_COLLECTIONS,
  type TokenEventDocument,
  type TokenIntervalDocument,
} from '@tokenmeter/contracts/storage';
import { MongoConnection } from '@tokenmeter/telemetry';
import type { Collection, Filter } from 'mongodb';
import type { CursorPosition } from '../events/cursor';

export interface EventPageQuery {
  fromMs: number;
  toMs: number;
  /** Equality filters on indexed fields; values are plain strings or numbers, never operators. */
  equals: Record<string, string | number>;
  /** Tenant scope of the API key: only these tenants' documents (undefined = all). */
  tenantIn?: readonly string[];
  after?: CursorPosition;
  limit: number;
}

@Injectable()
export class RawEventReader {
  constructor(private readonly mongo: MongoConnection) {}

  tokenPage(q: EventPageQuery): Promise<TokenEventDocument[]> {
    return this.page(this.mongo.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens), q);
  }

  gpuPage(q: EventPageQuery): Promise<GpuSampleDocument[]> {
    return this.page(this.mongo.collection<GpuSampleDocument>(RAW_COLLECTIONS.gpu), q);
  }

  tokenIntervalPage(q: EventPageQuery): Promise<TokenIntervalDocument[]> {
    return this.page(this.mongo.collection<TokenIntervalDocument>(RAW_COLLECTIONS.tokenIntervals), q);
  }

  tokenById(eventId: string): Promise<TokenEventDocument | null> {
    return this.mongo.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens).findOne({ _id: eventId });
  }

  private page<T extends TokenEventDocument | GpuSampleDocument | TokenIntervalDocument>(
    collection: Collection<T>,
    q: EventPageQuery,
  ): Promise<T[]> {
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
    return collection
      .find({ $and: clauses } as Filter<T>)
      .sort({ time: 1, _id: 1 })
      .limit(q.limit)
      .toArray() as Promise<T[]>;
  }
}
