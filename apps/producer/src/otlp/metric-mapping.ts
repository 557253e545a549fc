/**
 * `gen_ai.client.token.usage` histogram points -> tokens-interval.v1 events.
 *
 * Each data point is one stream (resource + metric + point attributes; `gen_ai.token.type` says
 * input or output). A point's token sum and count are read as the counters vLLM exposes
 * (input: prompt tokens and requests, output: generation tokens) and handed to the vLLM scraper's
 * VllmIntervalTracker, so the delta, reset and bounds rules are the very ones of the vLLM source
 * (sources/scrape/vllm.ts):
 *
 * - delta temporality: the point is the interval [start, time): its baseline is zero at its start.
 * - cumulative temporality: the interval runs from the last point of the stream this producer
 *   accepted. A value lower than that baseline is a reset (the current value is the delta since);
 *   so is a later `start_time_unix_nano` (OTLP's explicit reset), whose interval then starts there.
 *   The first point of a stream counts from its start time only when that start is after this
 *   producer started (nothing before it can have been counted); otherwise it is a baseline, as the
 *   first scrape of a vLLM server is (the Collector's cumulativetodelta `initial_value: auto`).
 *
 * Baselines advance only when the caller commits, after Kafka took the intervals: an export
 * answered 503 and retried computes the same intervals with the same eventIds again (an interval's
 * eventId hashes its stream and both ends in the exporter's nanoseconds).
 */
import { createHash } from 'node:crypto';
import type { TokenUsageIntervalInput } from '@tokenmeter/contracts';
import type { Exposition, PromSample } from '@tokenmeter/telemetry';
import { scrapedEventId } from '../sources/scrape/event-id';
import { VLLM_METRICS, VllmIntervalTracker } from '../sources/scrape/vllm';
import { AGGREGATION_TEMPORALITY, type Attributes, type Decoded, type OtlpHistogramPoint } from './otlp-codec';
import { GEN_AI, MappingError, modelOf, nodeOf, nsToMs, type OtlpMappingOptions, tenantOf } from './span-mapping';

export const TOKEN_USAGE_METRIC = 'gen_ai.client.token.usage';

/** Streams whose cumulative baseline is kept; the least recently seen beyond this are forgotten. */
export const MAX_CUMULATIVE_STREAMS = 100_000;

type TokenType = 'input' | 'output';
const TOKEN_TYPES: Readonly<Record<string, TokenType>> = {
  input: 'input',
  prompt: 'input',
  output: 'output',
  completion: 'output',
};

interface Reading {
  sum: number;
  count: number;
}

interface StreamBaseline {
  /** End of the last interval (its next one starts here). */
  timeMs: number;
  /** The point's own time, to tell a repeated export from a new point. */
  timeNs: bigint;
  startNs: bigint;
  reading: Reading;
}

export type PointOutcome =
  | { kind: 'interval'; interval: TokenUsageIntervalInput }
  | { kind: 'ignored'; reason: 'not_usage' | 'baseline' | 'unchanged' | 'already_seen' }
  | { kind: 'rejected'; message: string };

export interface PointsMapping {
  outcomes: PointOutcome[];
  /** Streams whose counters restarted (value went down, or a new start time). */
  resets: number;
  /** Advances the cumulative baselines to these points; call once Kafka acknowledged the intervals. */
  commit: () => void;
}

function sortedAttributes(attributes: Attributes): [string, unknown][] {
  return [...attributes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function streamKeyOf(point: OtlpHistogramPoint): string {
  return createHash('sha256')
    .update(JSON.stringify([sortedAttributes(point.resource), point.metricName, sortedAttributes(point.attributes)]))
    .digest('hex')
    .slice(0, 32);
}

/** The point as the vLLM counters it stands for. */
function exposition(model: string, tokenType: TokenType, reading: Reading): Exposition {
  const labels = { model_name: model };
  const samples: PromSample[] =
    tokenType === 'input'
      ? [
          { name: VLLM_METRICS.promptTokens, labels, value: reading.sum },
          { name: VLLM_METRICS.requestSuccess, labels, value: reading.count },
        ]
      : [{ name: VLLM_METRICS.generationTokens, labels, value: reading.sum }];
  return { samples, metadata: new Map(), errors: [] };
}

const ZERO: Reading = { sum: 0, count: 0 };

export class OtlpIntervalMapper {
  private readonly baselines = new Map<string, StreamBaseline>();

  constructor(private readonly options: OtlpMappingOptions & { startedAtMs: number }) {}

  /** Streams with a cumulative baseline (for tests and metrics). */
  get streams(): number {
    return this.baselines.size;
  }

  map(points: readonly Decoded<OtlpHistogramPoint>[]): PointsMapping {
    const pending = new Map<string, StreamBaseline>();
    let resets = 0;
    const outcomes = points.map((decoded): PointOutcome => {
      if (!decoded.ok) return { kind: 'rejected', message: decoded.message };
      try {
        const outcome = this.mapPoint(decoded.value, pending);
        resets += outcome.reset ? 1 : 0;
        return outcome.outcome;
      } catch (error) {
        if (error instanceof MappingError) return { kind: 'rejected', message: error.message };
        throw error;
      }
    });
    return {
      outcomes,
      resets,
      commit: () => {
        for (const [key, baseline] of pending) {
          this.baselines.delete(key);
          this.baselines.set(key, baseline);
        }
        for (const key of this.baselines.keys()) {
          if (this.baselines.size <= MAX_CUMULATIVE_STREAMS) break;
          this.baselines.delete(key);
        }
      },
    };
  }

  private mapPoint(
    point: OtlpHistogramPoint,
    pending: Map<string, StreamBaseline>,
  ): { outcome: PointOutcome; reset: boolean } {
    const ignored = (reason: 'not_usage' | 'baseline' | 'unchanged' | 'already_seen') => ({
      outcome: { kind: 'ignored', reason } as const,
      reset: false,
    });
    if (point.metricName !== TOKEN_USAGE_METRIC) return ignored('not_usage');
    const rawType = point.attributes.get(GEN_AI.tokenType);
    const tokenType = typeof rawType === 'string' ? TOKEN_TYPES[rawType] : undefined;
    if (tokenType === undefined) return ignored('not_usage');
    const model = modelOf(point.attributes);
    const tenant = tenantOf(point.attributes, point.resource, this.options);
    const node = nodeOf(point.resource);
    if (point.sum === undefined) throw new MappingError('a token usage point without a sum');
    const current: Reading = { sum: point.sum, count: point.count };
    const pointMs = Math.floor(nsToMs(point.timeNs));
    const startMs = Math.floor(nsToMs(point.startNs));
    // An interval lasts at least 1 ms (the contract's shortest): points closer than that in ns
    // still make an interval, ending 1 ms after its start.
    const endAfter = (fromMs: number): number => Math.max(pointMs, fromMs + 1);
    const streamKey = streamKeyOf(point);

    if (point.temporality === AGGREGATION_TEMPORALITY.delta) {
      // start == time happens: SDKs stamp both in whole milliseconds, and a stream created in the
      // millisecond of its first collection has no longer window.
      if (point.startNs === 0n || point.startNs > point.timeNs) {
        throw new MappingError('a delta point needs a start time, not after its time');
      }
      const baseline = { timeMs: startMs, timeNs: point.startNs, startNs: point.startNs, reading: ZERO };
      return this.track(model, tokenType, tenant, node, streamKey, baseline, current, endAfter(startMs), point.timeNs);
    }
    if (point.temporality !== AGGREGATION_TEMPORALITY.cumulative) {
      throw new MappingError(`aggregationTemporality ${point.temporality} is neither delta (1) nor cumulative (2)`);
    }
    const known = pending.get(streamKey) ?? this.baselines.get(streamKey);
    let baseline: StreamBaseline;
    let reset = false;
    if (known === undefined) {
      const countsFromStart =
        point.startNs !== 0n && startMs >= this.options.startedAtMs && point.startNs <= point.timeNs;
      if (!countsFromStart) {
        if (Number.isFinite(current.sum) && current.sum >= 0) {
          pending.set(streamKey, { timeMs: pointMs, timeNs: point.timeNs, startNs: point.startNs, reading: current });
        }
        return ignored('baseline');
      }
      baseline = { timeMs: startMs, timeNs: point.startNs, startNs: point.startNs, reading: ZERO };
    } else if (point.timeNs <= known.timeNs) {
      return ignored('already_seen');
    } else if (point.startNs !== 0n && point.startNs > known.startNs) {
      // OTLP's own reset signal: the stream restarted at startNs; count from there.
      reset = true;
      baseline = {
        timeMs: Math.max(startMs, known.timeMs),
        timeNs: point.startNs,
        startNs: point.startNs,
        reading: ZERO,
      };
    } else {
      baseline = known;
    }
    const timeMs = endAfter(baseline.timeMs);
    const outcome = this.track(model, tokenType, tenant, node, streamKey, baseline, current, timeMs, point.timeNs);
    if (outcome.outcome.kind !== 'rejected') {
      pending.set(streamKey, { timeMs, timeNs: point.timeNs, startNs: point.startNs, reading: current });
    }
    return { outcome: outcome.outcome, reset: reset || outcome.reset };
  }

  private track(
    model: string,
    tokenType: TokenType,
    tenant: string | undefined,
    node: string,
    streamKey: string,
    baseline: StreamBaseline,
    current: Reading,
    timeMs: number,
    timeNs: bigint,
  ): { outcome: PointOutcome; reset: boolean } {
    const tracker = new VllmIntervalTracker({
      source: `otlp:${streamKey}`,
      node,
      ...(tenant !== undefined ? { tenant } : {}),
    });
    tracker.observe(exposition(model, tokenType, baseline.reading), baseline.timeMs);
    const observation = tracker.observe(exposition(model, tokenType, current), timeMs);
    const [problem] = observation.problems;
    if (problem !== undefined) return { outcome: { kind: 'rejected', message: problem }, reset: false };
    const [interval] = observation.intervals;
    const reset = observation.resets > 0;
    if (interval === undefined) return { outcome: { kind: 'ignored', reason: 'unchanged' }, reset };
    // The tracker's id names the interval's start in ms; two intervals of a stream can share one
    // (SDKs stamp whole milliseconds), so the id here names both ends in the exporter's nanoseconds:
    // the same export retried gets the same id, a different interval never does.
    const eventId = scrapedEventId(
      `otlp:${streamKey}`,
      [node, model, String(baseline.timeNs), String(timeNs)],
      baseline.timeMs,
    );
    return { outcome: { kind: 'interval', interval: { ...interval, eventId, source: 'otlp' } }, reset };
  }
}
