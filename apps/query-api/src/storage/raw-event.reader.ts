// Reads of the raw event collections (written by the processor). Listings go through the
// RawListing the storage dialect names (raw-listing.ts): index ranges, or the time directory on
// servers that read only by _id (libs/storage).
import { Injectable } from '@nestjs/common';
import {
  type GpuSampleDocument,
  MongoConnection,
  RAW_COLLECTIONS,
  readRawDocument,
  type TokenEventDocument,
  type TokenIntervalDocument,
} from '@tokenmeter/storage';
import { type EventPageQuery, RawListing } from './raw-listing';

export type { EventPageQuery } from './raw-listing';

@Injectable()
export class RawEventReader {
  constructor(
    private readonly mongo: MongoConnection,
    private readonly listing: RawListing,
  ) {}

  tokenPage(q: EventPageQuery): Promise<TokenEventDocument[]> {
    return this.listing.page<TokenEventDocument>('tokens', q);
  }

  gpuPage(q: EventPageQuery): Promise<GpuSampleDocument[]> {
    return this.listing.page<GpuSampleDocument>('gpu', q);
  }

  tokenIntervalPage(q: EventPageQuery): Promise<TokenIntervalDocument[]> {
    return this.listing.page<TokenIntervalDocument>('tokenIntervals', q);
  }

  async tokenById(eventId: string): Promise<TokenEventDocument | null> {
    const doc = await this.mongo.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens).findOne({ _id: eventId });
    return doc === null ? null : readRawDocument(doc);
  }
}
