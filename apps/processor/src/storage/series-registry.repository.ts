// Writes the series registry (libs/storage documents/series-registry.ts): which token and GPU
// series exist and over which hours, and each GPU's latest sample. Every write is idempotent,
// so replays and retries need no watermark; the batch processor calls it before the rollups.
import { Injectable } from '@nestjs/common';
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import {
  gpuSeriesTouches,
  latestOf,
  MongoConnection,
  SERIES_COLLECTIONS,
  type SeriesTouch,
  tokenSeriesTouches,
} from '@tokenmeter/storage';
import { type AnyBulkWriteOperation, type Document, MongoBulkWriteError } from 'mongodb';

type RegistryDocument = Document & { _id: string };

/** Token series already registered by this process, with the hours covered; bounded. */
const MAX_CACHED_SERIES = 100_000;

@Injectable()
export class SeriesRegistryRepository {
  private readonly knownTokenSeries = new Map<string, { firstHourMs: number; lastHourMs: number }>();

  constructor(private readonly mongo: MongoConnection) {}

  async recordTokens(events: readonly Pick<TokenUsageEvent, 'tenant' | 'model' | 'node' | 'time'>[]): Promise<number> {
    const touches = [...tokenSeriesTouches(events).values()].filter((t) => {
      const known = this.knownTokenSeries.get(t._id);
      return known === undefined || t.firstHourMs < known.firstHourMs || t.lastHourMs > known.lastHourMs;
    });
    if (touches.length === 0) return 0;
    await this.write(SERIES_COLLECTIONS.tokens, touches.map(rangeUpdate));
    if (this.knownTokenSeries.size + touches.length > MAX_CACHED_SERIES) this.knownTokenSeries.clear();
    for (const t of touches) {
      const known = this.knownTokenSeries.get(t._id);
      this.knownTokenSeries.set(t._id, {
        firstHourMs: Math.min(t.firstHourMs, known?.firstHourMs ?? t.firstHourMs),
        lastHourMs: Math.max(t.lastHourMs, known?.lastHourMs ?? t.lastHourMs),
      });
    }
    return touches.length;
  }

  /**
   * GPUs: the hour range and `lastSeen` first; then the latest sample, set only on the
   * document whose `lastSeen` is this sample's time (a newer sample stored earlier wins).
   */
  async recordGpu(samples: readonly GpuSample[]): Promise<number> {
    const touches = [...gpuSeriesTouches(samples).values()];
    if (touches.length === 0) return 0;
    await this.write(
      SERIES_COLLECTIONS.gpu,
      touches.map((t) => {
        const op = rangeUpdate(t);
        const latest = t.latest;
        if (latest !== undefined) (op.updateOne.update.$max as Document).lastSeen = new Date(latest.time);
        return op;
      }),
    );
    const latestOps: AnyBulkWriteOperation<RegistryDocument>[] = [];
    for (const t of touches) {
      if (t.latest === undefined) continue;
      latestOps.push({
        updateOne: {
          filter: { _id: t._id, lastSeen: new Date(t.latest.time) },
          update: { $set: { latest: latestOf(t.latest) } },
        },
      });
    }
    await this.write(SERIES_COLLECTIONS.gpu, latestOps);
    return touches.length;
  }

  private async write(collectionName: string, ops: AnyBulkWriteOperation<RegistryDocument>[]): Promise<void> {
    const collection = this.mongo.collection<RegistryDocument>(collectionName);
    await this.mongo.updateCommands(ops, async (chunk) => {
      try {
        await collection.bulkWrite(chunk, { ordered: false });
      } catch (error) {
        // Two writers upserting the same new series (only around a rebalance): the document
        // exists now, so the same idempotent updates apply to it.
        if (!(error instanceof MongoBulkWriteError && isOnlyDuplicateKeys(error))) throw error;
        await collection.bulkWrite(chunk, { ordered: false });
      }
    });
  }
}

function rangeUpdate(t: SeriesTouch): { updateOne: { filter: Document; update: Document; upsert: true } } {
  return {
    updateOne: {
      filter: { _id: t._id },
      update: {
        $setOnInsert: t.identity,
        $min: { firstHour: new Date(t.firstHourMs) },
        $max: { lastHour: new Date(t.lastHourMs) },
      },
      upsert: true,
    },
  };
}

function isOnlyDuplicateKeys(error: MongoBulkWriteError): boolean {
  return ([] as { code: number }[]).concat(error.writeErrors).every((w) => w.code === 11000);
}
