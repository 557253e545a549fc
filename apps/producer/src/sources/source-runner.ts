// Runs the built-in sources on their grids and publishes what they collect through the same
// IngestService as HTTP ingest (same contracts, same Kafka path).
//
// Ticks are aligned to epoch multiples of each source's interval, so scrape times, and with
// them the deterministic event ids, are the same whoever scrapes: a re-scrape of a tick, or a
// second producer scraping the same target, yields the same ids and is stored once.
// While Kafka is unavailable, collected events wait in a bounded queue and go out first on
// the next tick (their ids make the retry idempotent); a slow tick skips the ticks it missed.
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, counter, isDomainError, ReadinessRegistry } from '@tokenmeter/telemetry';
import { ProducerConfig } from '../config';
import { IngestService } from '../ingest/ingest.service';
import { traceparentFor } from '../ingest/trace-context';
import { type Source, type SourceBatch, SourceUnavailableError } from './sources';

export const SOURCES = Symbol('SOURCES');

export interface SourceStatus {
  type: string;
  state: 'starting' | 'ok' | 'failing' | 'unavailable';
  intervalMs: number;
  lastSuccess?: string;
  lastError?: string;
  pendingEvents: number;
}

const scrapes = counter({
  name: 'tokenmeter_source_scrapes_total',
  help: 'Ticks of the built-in sources, by source type and outcome (ok, failed, unavailable)',
  labelNames: ['source', 'outcome'] as const,
});
const sourceEvents = counter({
  name: 'tokenmeter_source_events_total',
  help: 'Events of the built-in sources, by source type and outcome (published, rejected, dropped_overflow)',
  labelNames: ['source', 'outcome'] as const,
});
const droppedReadings = counter({
  name: 'tokenmeter_source_dropped_readings_total',
  help: 'Readings a source left out, by source type and reason (sentinel, nan, missing, out_of_range, no_node)',
  labelNames: ['source', 'reason'] as const,
});
const counterResets = counter({
  name: 'tokenmeter_source_counter_resets_total',
  help: 'Counter resets (restarted exporters) seen by a source; the new values count as the delta',
  labelNames: ['source'] as const,
});

interface Running {
  source: Source;
  status: SourceStatus;
  pending: SourceBatch[];
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
}

@Injectable()
export class SourceRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SourceRunner.name);
  private readonly running: Running[];
  private stopped = false;

  constructor(
    private readonly config: ProducerConfig,
    private readonly ingest: IngestService,
    private readonly clock: Clock,
    readiness: ReadinessRegistry,
    @Inject(SOURCES) sources: Source[],
  ) {
    this.running = sources.map((source) => ({
      source,
      status: { type: source.type, state: 'starting', intervalMs: source.intervalMs, pendingEvents: 0 },
      pending: [],
    }));
    // Informational: a failing or unavailable source never takes the producer out of rotation,
    // because HTTP ingest works without it.
    if (this.running.length > 0) readiness.register('sources', () => Promise.resolve(this.statuses()));
  }

  statuses(): Record<string, SourceStatus> {
    return Object.fromEntries(this.running.map((r) => [r.source.name, { ...r.status }]));
  }

  onApplicationBootstrap(): void {
    for (const r of this.running) {
      this.logger.log({ source: r.source.name, intervalMs: r.source.intervalMs }, 'source started');
      this.schedule(r);
    }
  }

  /** Stops ticking and waits for a tick in flight, before the Kafka producer closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const r of this.running) clearTimeout(r.timer);
    await Promise.allSettled(this.running.flatMap((r) => (r.inFlight === undefined ? [] : [r.inFlight])));
  }

  /** Runs one tick of every source now (tests and tools); resolves when all are done. */
  async tickAll(tickMs = this.clock.nowMs()): Promise<void> {
    await Promise.all(this.running.map((r) => this.tick(r, tickMs)));
  }

  private schedule(r: Running): void {
    if (this.stopped) return;
    const nowMs = this.clock.nowMs();
    const interval = r.source.intervalMs;
    const nextTickMs = (Math.floor(nowMs / interval) + 1) * interval;
    r.timer = setTimeout(() => {
      r.inFlight = this.tick(r, nextTickMs).finally(() => {
        r.inFlight = undefined;
        this.schedule(r);
      });
    }, nextTickMs - nowMs);
  }

  private async tick(r: Running, tickMs: number): Promise<void> {
    const { source, status } = r;
    try {
      const collected = await source.collect(tickMs);
      for (const [reason, count] of Object.entries(collected.dropped)) {
        droppedReadings.inc({ source: source.type, reason }, count);
      }
      if (collected.resets > 0) {
        counterResets.inc({ source: source.type }, collected.resets);
        this.logger.log(
          { source: source.name, resets: collected.resets },
          'counters restarted; new values count as the delta',
        );
      }
      if (collected.problems.length > 0) {
        this.logger.warn({ source: source.name, problems: collected.problems }, 'source reported problems');
      }
      scrapes.inc({ source: source.type, outcome: 'ok' });
      if (status.state !== 'ok') this.logger.log({ source: source.name }, 'source is collecting');
      status.state = 'ok';
      status.lastSuccess = new Date(tickMs).toISOString();
      delete status.lastError;
      r.pending.push(...collected.batches.filter((b) => b.events.length > 0));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const unavailable = error instanceof SourceUnavailableError;
      scrapes.inc({ source: source.type, outcome: unavailable ? 'unavailable' : 'failed' });
      // Log a change of state, not every failing tick.
      if (status.lastError !== message) {
        this.logger.warn(
          { source: source.name, err: message },
          unavailable ? 'source unavailable' : 'source tick failed',
        );
      }
      status.state = unavailable ? 'unavailable' : 'failing';
      status.lastError = message;
    }
    await this.publishPending(r);
  }

  private async publishPending(r: Running): Promise<void> {
    const type = r.source.type;
    while (r.pending.length > 0) {
      const batch = r.pending[0] as SourceBatch;
      try {
        const result = await this.ingest.ingest(
          batch.kind,
          batch.events.map((value) => ({ ok: true as const, value })),
          traceparentFor(undefined),
        );
        sourceEvents.inc({ source: type, outcome: 'published' }, result.accepted);
        this.countRejected(r, result.rejected.length, result.rejected[0]?.errors);
      } catch (error) {
        if (isDomainError(error, 'ingest.kafka-unavailable')) {
          // Kafka is away: keep the batch (and everything behind it) for the next tick.
          this.trimPending(r);
          r.status.pendingEvents = r.pending.reduce((n, b) => n + b.events.length, 0);
          return;
        }
        if (isDomainError(error, 'ingest.no-valid-events')) {
          this.countRejected(r, batch.events.length, error.extras.errors);
        } else {
          this.logger.error({ source: r.source.name, err: error }, 'publishing a source batch failed; batch dropped');
        }
      }
      r.pending.shift();
    }
    r.status.pendingEvents = 0;
  }

  private countRejected(r: Running, count: number, example: unknown): void {
    if (count === 0) return;
    sourceEvents.inc({ source: r.source.type, outcome: 'rejected' }, count);
    this.logger.warn({ source: r.source.name, rejected: count, example }, 'source events failed the contract');
  }

  /** Keeps at most maxPendingEvents, dropping the oldest batches first. */
  private trimPending(r: Running): void {
    let total = r.pending.reduce((n, b) => n + b.events.length, 0);
    const max = this.config.sources.maxPendingEvents;
    while (total > max && r.pending.length > 0) {
      const dropped = r.pending.shift() as SourceBatch;
      total -= dropped.events.length;
      sourceEvents.inc({ source: r.source.type, outcome: 'dropped_overflow' }, dropped.events.length);
      this.logger.warn(
        { source: r.source.name, events: dropped.events.length },
        'retry queue full: oldest events dropped',
      );
    }
  }
}
