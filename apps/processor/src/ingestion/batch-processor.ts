// One consumed batch, end to end (SPEC §6, docs/ARCHITECTURE.md):
//   1. decode and validate every message; invalid ones become dead letters;
//   2. insert the valid events as raw documents (_id = eventId, src = this message);
//   3. decide which events this batch OWNS: inserted now, or inserted earlier by this very
//      message (a replay after a crash). Copies of an event stored by another message
//      (client retries, producer retries) are duplicates and are never rolled up;
//      the owned events are listed in the time directory where the storage dialect needs one
//      (the point-read dialect, libs/storage);
//   4. register the owned events' series (the query API's list of series; idempotent), then
//      add them to the 1m/1h rollups under per-partition watermarks;
//   5. publish the dead letters;
//   6. log one line per ingest trace (traceparent header) with what became of its messages.
// It resolves only when every write is acknowledged; the consumer commits after that.
import { Injectable, Logger } from '@nestjs/common';
import type { GpuSample, TokenUsageEvent, TokenUsageInterval } from '@tokenmeter/contracts';
import {
  gpuSampleToDocument,
  type MessageSource,
  RAW_COLLECTIONS,
  tokenEventToDocument,
  tokenIntervalToDocument,
} from '@tokenmeter/storage';
import { Clock } from '@tokenmeter/telemetry';
import type { KafkaMessage } from 'kafkajs';
import { ProcessorConfig } from '../config';
import { type DeadLetter, DlqPublisher } from '../dlq/dlq-publisher';
import { type InsertOutcome, RawEventRepository } from '../storage/raw-event.repository';
import { type OwnedEvent, RollupRepository } from '../storage/rollup.repository';
import { SeriesRegistryRepository } from '../storage/series-registry.repository';
import { decodeMessage, type EventKind, traceparentHeader } from './decode';
import { type BatchStage, ProcessorMetrics } from '../processor-metrics';
import { summarizeTraces, type TracedMessage } from './trace-summary';

/** One fetched batch of one partition: the payload of the ingestion `@EventPattern` handlers. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  deadLettered: number;
  rolledUp: number;
}

interface Candidate<E> {
  offset: number;
  event: E;
  ingestedAt?: Date;
  traceparent?: string;
}

@Injectable()
export class BatchProcessor {
  private readonly logger = new Logger(BatchProcessor.name);

  constructor(
    private readonly config: ProcessorConfig,
    private readonly rawEvents: RawEventRepository,
    private readonly rollups: RollupRepository,
    private readonly registry: SeriesRegistryRepository,
    private readonly dlq: DlqPublisher,
    private readonly clock: Clock,
    private readonly metrics: ProcessorMetrics,
  ) {}

  /** The consumer of `kind` (re)joined its group: what was remembered per partition may be stale. */
  forgetPartitionState(kind: EventKind): void {
    this.rollups.forgetWatermarks(kind);
  }

  async process(kind: EventKind, batch: ConsumedBatch): Promise<BatchOutcome> {
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined) return { stored: 0, duplicates: 0, deadLettered: 0, rolledUp: 0 };
    const nowMs = this.clock.nowMs();
    const storedAt = new Date(nowMs);
    const options = {
      nowMs,
      maxAgeMs: this.config.maxEventAgeMs,
      maxMessageBytes: this.config.consumer.maxMessageBytes,
    };
    // The tokens topic carries requests (tokens.v1) and scraped intervals (tokens-interval.v1).
    const tokens: Candidate<TokenUsageEvent>[] = [];
    const intervals: Candidate<TokenUsageInterval>[] = [];
    const gpus: Candidate<GpuSample>[] = [];
    const letters: DeadLetter[] = [];
    const traced: TracedMessage[] = [];

    for (const message of batch.messages) {
      const decoded = decodeMessage(kind, message, options);
      if (!decoded.ok) {
        const traceparent = traceparentHeader(message.headers);
        if (traceparent !== undefined) {
          traced.push({ traceparent, offset: Number(message.offset), outcome: 'dead_lettered' });
        }
        letters.push({
          originalTopic: batch.topic,
          originalPartition: batch.partition,
          originalOffset: message.offset,
          key: message.key,
          value: message.value,
          originalHeaders: message.headers ?? {},
          errorClass: decoded.reason,
          errorMessage: decoded.message,
        });
        continue;
      }
      const offset = Number(message.offset);
      const meta = {
        ...(decoded.ingestedAt === undefined ? {} : { ingestedAt: decoded.ingestedAt }),
        ...(decoded.traceparent === undefined ? {} : { traceparent: decoded.traceparent }),
      };
      switch (decoded.schema) {
        case 'tokens.v1':
          tokens.push({ offset, event: decoded.event, ...meta });
          break;
        case 'tokens-interval.v1':
          intervals.push({ offset, event: decoded.event, ...meta });
          break;
        case 'gpu.v1':
          gpus.push({ offset, event: decoded.event, ...meta });
          break;
      }
      if (decoded.traceparent !== undefined) {
        this.logger.debug({ traceparent: decoded.traceparent, eventId: decoded.event.eventId }, 'event decoded');
      }
    }

    const lastOffset = Number(last.offset);
    const meta = (c: Candidate<unknown>) => ({
      ...(c.ingestedAt === undefined ? {} : { ingestedAt: c.ingestedAt }),
      storedAt,
      src: { p: batch.partition, o: c.offset },
    });
    let inserted: InsertOutcome;
    let rolledUp: number;
    const stage = (name: BatchStage) => this.metrics.enterStage(batch.topic, name);
    stage('raw');
    if (kind === 'tokens') {
      const insertedEvents = await this.rawEvents.insertTokenEvents(
        tokens.map((c) => tokenEventToDocument(c.event, meta(c))),
      );
      const insertedIntervals = await this.rawEvents.insertTokenIntervals(
        intervals.map((c) => tokenIntervalToDocument(c.event, meta(c))),
      );
      inserted = sumOutcomes(insertedEvents, insertedIntervals);
      traceOutcomes(traced, tokens, insertedEvents);
      traceOutcomes(traced, intervals, insertedIntervals);
      // Both contracts feed the same rollup documents, so they are applied in one call: the
      // watermark a document gets covers this whole batch.
      const ownedEvents = await this.owned('tokens', batch.partition, tokens, insertedEvents);
      const ownedIntervals = await this.owned('tokenIntervals', batch.partition, intervals, insertedIntervals);
      // Listed once stored, before anything is derived from them.
      await this.rawEvents.recordListing({
        tokens: ownedEvents.map((o) => o.event),
        tokenIntervals: ownedIntervals.map((o) => o.event),
      });
      const owned = [...ownedEvents, ...ownedIntervals];
      stage('registry');
      await this.registry.recordTokens(owned.map((o) => o.event));
      stage('rollups');
      rolledUp = (await this.rollups.applyTokens(batch.partition, lastOffset, owned)).documents;
    } else {
      inserted = await this.rawEvents.insertGpuSamples(gpus.map((c) => gpuSampleToDocument(c.event, meta(c))));
      traceOutcomes(traced, gpus, inserted);
      const owned = await this.owned('gpu', batch.partition, gpus, inserted);
      await this.rawEvents.recordListing({ gpu: owned.map((o) => o.event) });
      stage('registry');
      await this.registry.recordGpu(owned.map((o) => o.event));
      stage('rollups');
      rolledUp = (await this.rollups.applyGpu(batch.partition, lastOffset, owned)).documents;
    }
    stage('dlq');
    await this.dlq.publish(letters);
    for (const trace of summarizeTraces(traced)) {
      this.logger.log({ ...trace, topic: batch.topic, partition: batch.partition }, 'events stored');
    }

    const labels = { topic: batch.topic };
    this.metrics.events.inc({ ...labels, outcome: 'consumed' }, batch.messages.length);
    this.metrics.events.inc({ ...labels, outcome: 'stored' }, inserted.inserted);
    this.metrics.events.inc({ ...labels, outcome: 'duplicate' }, inserted.duplicates);
    this.metrics.events.inc({ ...labels, outcome: 'dead_lettered' }, letters.length);
    const storedMs = this.clock.nowMs();
    for (const c of kind === 'tokens' ? [...tokens, ...intervals] : gpus) {
      this.metrics.e2eLatency.observe(labels, Math.max(0, storedMs - Date.parse(c.event.time)) / 1000);
    }
    return { stored: inserted.inserted, duplicates: inserted.duplicates, deadLettered: letters.length, rolledUp };
  }

  /**
   * The candidates this batch owns: every inserted one, plus each duplicate whose stored
   * document was written by this same message (partition and offset) — a replay.
   */
  private async owned<E extends { eventId: string }>(
    kind: keyof typeof RAW_COLLECTIONS,
    partition: number,
    candidates: Candidate<E>[],
    outcome: InsertOutcome,
  ): Promise<OwnedEvent<E>[]> {
    if (outcome.duplicateIndexes.length === 0) return candidates;
    const duplicate = new Set(outcome.duplicateIndexes);
    const sources = await this.rawEvents.sourcesOf(
      kind,
      outcome.duplicateIndexes.map((i) => candidates[i]?.event.eventId ?? ''),
    );
    return candidates.filter(
      (c, i) => !duplicate.has(i) || isSameMessage(sources.get(c.event.eventId), partition, c.offset),
    );
  }
}

/** Adds each traced candidate's insert outcome (stored now, or a copy of a stored event). */
function traceOutcomes(into: TracedMessage[], candidates: readonly Candidate<unknown>[], outcome: InsertOutcome): void {
  const duplicate = new Set(outcome.duplicateIndexes);
  candidates.forEach((c, i) => {
    if (c.traceparent === undefined) return;
    into.push({ traceparent: c.traceparent, offset: c.offset, outcome: duplicate.has(i) ? 'duplicate' : 'stored' });
  });
}

function sumOutcomes(a: InsertOutcome, b: InsertOutcome): InsertOutcome {
  return {
    inserted: a.inserted + b.inserted,
    duplicates: a.duplicates + b.duplicates,
    duplicateIndexes: [...a.duplicateIndexes, ...b.duplicateIndexes],
  };
}

function isSameMessage(src: MessageSource | undefined, partition: number, offset: number): boolean {
  return src !== undefined && src.p === partition && src.o === offset;
}
