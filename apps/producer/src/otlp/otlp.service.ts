/**
 * OTLP exports -> tokenmeter events, through the same IngestService as the JSON endpoints (same
 * contracts, tenant rules, Kafka path and 503 semantics). Answers with OTLP's partial success:
 * every span or data point that carried GenAI usage and could not be accounted is counted in
 * `rejected_spans` / `rejected_data_points` with the first reasons; spans and points without
 * usage are counted in tokenmeter_otlp_items_total{outcome="ignored"} and otherwise ignored.
 */
import { Injectable } from '@nestjs/common';
import { Clock, counter, DomainError, isDomainError, type Principal } from '@tokenmeter/telemetry';
import { ProducerConfig } from '../config';
import type { BodyItem } from '../ingest/ingest-body';
import { type EventKind, type IngestResult, IngestService, type RejectedEvent } from '../ingest/ingest.service';
import { OtlpIntervalMapper, type PointsMapping } from './metric-mapping';
import { decodeMetrics, decodeTraces, type OtlpEncoding, type OtlpSignal } from './otlp-codec';
import { mapSpan, type SpanOutcome } from './span-mapping';

export interface OtlpExportResult {
  /** Events published (tokens.v1 for spans, tokens-interval.v1 for points). */
  accepted: number;
  rejected: number;
  ignored: number;
  /** The reasons of the first rejections, for partial_success.error_message. */
  message: string;
}

const MAX_REASONS_IN_MESSAGE = 5;

const otlpItems = counter({
  name: 'tokenmeter_otlp_items_total',
  help: 'Spans and data points received over OTLP, by signal and outcome (accepted, rejected, ignored)',
  labelNames: ['signal', 'outcome'] as const,
});

const otlpResets = counter({
  name: 'tokenmeter_otlp_counter_resets_total',
  help: 'Cumulative gen_ai.client.token.usage streams found restarted (value went down or a new start time)',
});

/** Serialises metric exports, so two exports of one cumulative stream never share a baseline. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

@Injectable()
export class OtlpService {
  private readonly intervals: OtlpIntervalMapper;
  private readonly metricsQueue = new SerialQueue();

  constructor(
    private readonly config: ProducerConfig,
    private readonly ingestService: IngestService,
    clock: Clock,
  ) {
    this.intervals = new OtlpIntervalMapper({
      tenantAttribute: config.ingest.otlpTenantAttribute,
      startedAtMs: clock.nowMs(),
    });
  }

  async exportTraces(
    encoding: OtlpEncoding,
    body: Buffer | string,
    traceparent: string,
    principal: Principal,
  ): Promise<OtlpExportResult> {
    const { spans } = decodeTraces(encoding, body);
    this.checkCount(spans.length, 'spans');
    const reasons: string[] = [];
    const items: BodyItem[] = [];
    let rejected = 0;
    let ignored = 0;
    for (const span of spans) {
      const outcome: SpanOutcome = span.ok
        ? mapSpan(span.value, { tenantAttribute: this.config.ingest.otlpTenantAttribute })
        : { kind: 'rejected', message: span.message };
      if (outcome.kind === 'ignored') ignored += 1;
      else if (outcome.kind === 'rejected') {
        rejected += 1;
        reasons.push(outcome.message);
      } else items.push({ ok: true, value: outcome.event });
    }
    const published = await this.publish('tokens', items, traceparent, principal);
    return this.finish('traces', published, rejected, ignored, reasons);
  }

  exportMetrics(
    encoding: OtlpEncoding,
    body: Buffer | string,
    traceparent: string,
    principal: Principal,
  ): Promise<OtlpExportResult> {
    const { histogramPoints, otherPoints } = decodeMetrics(encoding, body);
    this.checkCount(histogramPoints.length + otherPoints, 'data points');
    return this.metricsQueue.run(async () => {
      const mapping: PointsMapping = this.intervals.map(histogramPoints);
      const reasons: string[] = [];
      const items: BodyItem[] = [];
      let rejected = 0;
      let ignored = otherPoints;
      for (const outcome of mapping.outcomes) {
        if (outcome.kind === 'ignored') ignored += 1;
        else if (outcome.kind === 'rejected') {
          rejected += 1;
          reasons.push(outcome.message);
        } else items.push({ ok: true, value: outcome.interval });
      }
      const published = await this.publish('tokenIntervals', items, traceparent, principal);
      // Kafka took them (or refused them for good): the baselines move on. A 503 threw above.
      mapping.commit();
      if (mapping.resets > 0) otlpResets.inc(mapping.resets);
      return this.finish('metrics', published, rejected, ignored, reasons);
    });
  }

  private checkCount(count: number, what: string): void {
    const max = this.config.ingest.maxEventsPerRequest;
    if (count > max) {
      throw new DomainError(
        'otlp.too-many-items',
        `An export may carry at most ${max} ${what}; this one has ${count}. Split it.`,
      );
    }
  }

  /** Publishes through IngestService; when none is valid its 400 becomes a partial success. */
  private async publish(
    kind: EventKind,
    items: BodyItem[],
    traceparent: string,
    principal: Principal,
  ): Promise<IngestResult> {
    if (items.length === 0) return { accepted: 0, rejected: [] };
    try {
      return await this.ingestService.ingest(kind, items, traceparent, principal);
    } catch (error) {
      if (!isDomainError(error, 'ingest.no-valid-events')) throw error;
      const listed = Array.isArray(error.extras.rejected) ? (error.extras.rejected as RejectedEvent[]) : [];
      const rejected: RejectedEvent[] = items.map(
        (_item, index) =>
          listed.find((r) => r.index === index) ?? { index, errors: [{ path: '$', message: 'invalid' }] },
      );
      return { accepted: 0, rejected };
    }
  }

  private finish(
    signal: OtlpSignal,
    published: IngestResult,
    rejectedBefore: number,
    ignored: number,
    reasons: string[],
  ): OtlpExportResult {
    for (const rejection of published.rejected) {
      const [error] = rejection.errors;
      if (error !== undefined) reasons.push(`${error.path.replace(/^\$\.?/, '') || 'event'}: ${error.message}`);
    }
    const rejected = rejectedBefore + published.rejected.length;
    const count = (outcome: string, n: number): void => {
      if (n > 0) otlpItems.inc({ signal, outcome }, n);
    };
    count('accepted', published.accepted);
    count('rejected', rejected);
    count('ignored', ignored);
    const distinct = [...new Set(reasons)];
    const message =
      rejected === 0
        ? ''
        : `${rejected} ${signal === 'traces' ? 'spans' : 'data points'} rejected: ${distinct
            .slice(0, MAX_REASONS_IN_MESSAGE)
            .join('; ')}${distinct.length > MAX_REASONS_IN_MESSAGE ? '; …' : ''}`;
    return { accepted: published.accepted, rejected, ignored, message };
  }
}
