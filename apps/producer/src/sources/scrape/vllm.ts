/**
 * vLLM `/metrics` -> tokens-interval.v1 events: the growth of vLLM's counters between two scrapes
 * of one server, per model (SPEC §5 "counters -> per-interval deltas with reset detection").
 *
 * Read per `model_name`, summed over every other label (`engine`, `finished_reason`, ...):
 * vllm:prompt_tokens_total, vllm:generation_tokens_total, vllm:request_success_total and the
 * histograms vllm:time_to_first_token_seconds and vllm:e2e_request_latency_seconds (`_bucket`,
 * `_sum`, `_count`, seconds), and the `_created` series of those five families.
 *
 * `requests` counts every finished request whatever its `finished_reason`; `errors` counts those
 * whose reason is `abort` or `error` (vLLM v1's FINISH_REASON_STRINGS in vllm/v1/engine/__init__.py:
 * stop, length, abort, error, repetition), as tokens.v1 counts an error request in both.
 *
 * Rules, per model:
 * - The first observation is a baseline only. After that each observation emits one interval
 *   [baseline time, now) when something moved, and the observation becomes the new baseline.
 * - A counter series that does not exist counts as 0 (client libraries create labelled series
 *   lazily).
 * - Reset, counted in `resets`: a `_created` timestamp that differs from the baseline's for the
 *   same series (prometheus_client sets it when the process creates the series, so it changes on
 *   every restart even when the new process has already counted past the baseline - the case a
 *   scrape target unreachable across the restart produces), a counter, histogram count, sum or
 *   bucket lower than at the baseline, a histogram whose bucket bounds changed (only a restart
 *   changes them), or a model coming back after a scrape without it. The current values are then
 *   the whole delta, as in PromQL's increase(). Without `_created` (vLLM in multiprocess mode,
 *   PROMETHEUS_MULTIPROC_DIR) only the other signs are seen: a restart whose counters already
 *   regrew past the baseline is taken as growth: what the new process counted up to the old
 *   values is lost.
 * - NaN, infinite or negative values: the model is skipped this round with a problem and keeps its
 *   baseline, so the next good scrape covers the gap.
 * - A histogram that cannot be read (no +Inf bucket, not cumulative) or cannot be expressed in the
 *   contract is left out of the interval, with a problem; the tokens still count.
 */
import {
  MAX_DURATION_MS,
  MAX_HISTOGRAM_BUCKETS,
  MAX_TOKEN_COUNT,
  type LatencyHistogram,
  type TokenUsageIntervalInput,
} from '@tokenmeter/contracts';
import { parsePromFloat, type Exposition } from '@tokenmeter/telemetry';

import { scrapedEventId } from './event-id';
import { contractText } from './gpu-sample-builder';

export const VLLM_METRICS = {
  promptTokens: 'vllm:prompt_tokens_total',
  generationTokens: 'vllm:generation_tokens_total',
  requestSuccess: 'vllm:request_success_total',
  timeToFirstToken: 'vllm:time_to_first_token_seconds',
  e2eLatency: 'vllm:e2e_request_latency_seconds',
} as const;

export interface VllmTrackerOptions {
  /** The scrape URL: part of every event id. */
  source: string;
  /** Host name of the inference server. */
  node: string;
  tenant?: string;
}

export interface VllmObservation {
  intervals: TokenUsageIntervalInput[];
  /** Models whose counters restarted since the last observation. */
  resets: number;
  /** Human-readable, one per model and cause; for logs. */
  problems: string[];
}

/** A histogram as scraped, in seconds: `cumulative` has one entry per bound plus +Inf. */
interface HistogramReading {
  bounds: number[];
  cumulative: number[];
  sum: number;
  count: number;
}

interface ModelReading {
  promptTokens: number;
  generationTokens: number;
  requestSuccess: number;
  /** Of `requestSuccess`, the requests whose finished_reason is in ERROR_FINISH_REASONS. */
  requestErrors: number;
  timeToFirstToken?: HistogramReading;
  e2eLatency?: HistogramReading;
  /** `_created` (epoch seconds) by series, `name{labels}`; empty in multiprocess mode. */
  created: ReadonlyMap<string, number>;
}

type HistogramKey = 'timeToFirstToken' | 'e2eLatency';
const HISTOGRAM_KEYS: readonly HistogramKey[] = ['timeToFirstToken', 'e2eLatency'];
type CounterKey = 'promptTokens' | 'generationTokens' | 'requestSuccess' | 'requestErrors';
const COUNTER_KEYS: readonly CounterKey[] = ['promptTokens', 'generationTokens', 'requestSuccess', 'requestErrors'];

/** Finish reasons that are not a served request: a cancelled (client gone, engine aborted) or failed one. */
export const ERROR_FINISH_REASONS: ReadonlySet<string> = new Set(['abort', 'error']);

const ZERO_READING: ModelReading = {
  promptTokens: 0,
  generationTokens: 0,
  requestSuccess: 0,
  requestErrors: 0,
  created: new Map(),
};

interface Baseline {
  timeMs: number;
  reading: ModelReading;
  /** The last scrape did not list the model: its reappearance is a restart. */
  absent: boolean;
}

interface HistogramAccumulator {
  buckets: Map<number, number>;
  sum?: number;
  count?: number;
  problem?: string;
}

interface ModelAccumulator {
  counters: Record<CounterKey, number>;
  histograms: Partial<Record<HistogramKey, HistogramAccumulator>>;
  created: Map<string, number>;
  invalid?: string;
}

type ScrapedCounterKey = Exclude<CounterKey, 'requestErrors'>;
/** The series each counter is read from, for messages. */
const COUNTER_METRIC: Readonly<Record<CounterKey, string>> = {
  promptTokens: VLLM_METRICS.promptTokens,
  generationTokens: VLLM_METRICS.generationTokens,
  requestSuccess: VLLM_METRICS.requestSuccess,
  requestErrors: `${VLLM_METRICS.requestSuccess}{finished_reason=~"abort|error"}`,
};
const COUNTER_BY_NAME: ReadonlyMap<string, ScrapedCounterKey> = new Map(
  (['promptTokens', 'generationTokens', 'requestSuccess'] as const).map((key) => [VLLM_METRICS[key], key] as const),
);
/** prometheus_client names a counter's `_created` without `_total`, a histogram's after the family. */
const CREATED_NAMES: ReadonlySet<string> = new Set(
  Object.values(VLLM_METRICS).map((name) => `${name.replace(/_total$/, '')}_created`),
);

const HISTOGRAM_BY_NAME: ReadonlyMap<string, [HistogramKey, 'bucket' | 'sum' | 'count']> = new Map(
  HISTOGRAM_KEYS.flatMap((key) =>
    (['bucket', 'sum', 'count'] as const).map((part) => [`${VLLM_METRICS[key]}_${part}`, [key, part]] as const),
  ),
);

/** `name{a="1",b="2"}` with the labels sorted: one key per series. */
function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((label) => `${label}=${JSON.stringify(labels[label])}`);
  return `${name}{${pairs.join(',')}}`;
}

function accumulate(exposition: Exposition): Map<string, ModelAccumulator> {
  const models = new Map<string, ModelAccumulator>();
  for (const { name, labels, value } of exposition.samples) {
    const counter = COUNTER_BY_NAME.get(name);
    const histogramPart = counter === undefined ? HISTOGRAM_BY_NAME.get(name) : undefined;
    const created = CREATED_NAMES.has(name);
    const model = labels['model_name'];
    if ((counter === undefined && histogramPart === undefined && !created) || model === undefined) continue;
    let entry = models.get(model);
    if (entry === undefined) {
      entry = {
        counters: { promptTokens: 0, generationTokens: 0, requestSuccess: 0, requestErrors: 0 },
        histograms: {},
        created: new Map(),
      };
      models.set(model, entry);
    }
    if (created) {
      // Only ever compared for equality: an unreadable one is simply not a restart signal.
      if (Number.isFinite(value)) entry.created.set(seriesKey(name, labels), value);
      continue;
    }
    if (!Number.isFinite(value) || value < 0) {
      entry.invalid ??= `${name} is ${value}`;
      continue;
    }
    if (counter !== undefined) {
      entry.counters[counter] += value;
      if (counter === 'requestSuccess' && ERROR_FINISH_REASONS.has(labels['finished_reason'] ?? '')) {
        entry.counters.requestErrors += value;
      }
      continue;
    }
    if (histogramPart === undefined) continue;
    const [key, part] = histogramPart;
    let histogram = entry.histograms[key];
    if (histogram === undefined) {
      histogram = { buckets: new Map<number, number>() };
      entry.histograms[key] = histogram;
    }
    if (part === 'sum') histogram.sum = (histogram.sum ?? 0) + value;
    else if (part === 'count') histogram.count = (histogram.count ?? 0) + value;
    else {
      const bound = parsePromFloat(labels['le'] ?? '');
      if (bound === undefined || Number.isNaN(bound)) histogram.problem ??= 'a bucket without a valid le';
      else histogram.buckets.set(bound, (histogram.buckets.get(bound) ?? 0) + value);
    }
  }
  return models;
}

function finishHistogram(accumulator: HistogramAccumulator): HistogramReading | string {
  if (accumulator.problem !== undefined) return accumulator.problem;
  const above = accumulator.buckets.get(Number.POSITIVE_INFINITY);
  if (above === undefined) return 'no +Inf bucket';
  if (accumulator.sum === undefined) return 'no _sum';
  const bounds = [...accumulator.buckets.keys()].filter((bound) => bound !== Number.POSITIVE_INFINITY);
  bounds.sort((a, b) => a - b);
  const cumulative = [...bounds.map((bound) => accumulator.buckets.get(bound) ?? 0), above];
  for (let i = 1; i < cumulative.length; i += 1) {
    if ((cumulative[i] ?? 0) < (cumulative[i - 1] ?? 0)) return 'buckets are not cumulative';
  }
  return { bounds, cumulative, sum: accumulator.sum, count: accumulator.count ?? above };
}

function sameLayout(a: HistogramReading, b: HistogramReading): boolean {
  return a.bounds.length === b.bounds.length && a.bounds.every((bound, i) => bound === b.bounds[i]);
}

/** Why the model's counters must have restarted since `before`, or `undefined`. */
function restartCause(before: Baseline, now: ModelReading): string | undefined {
  if (before.absent) return 'reappeared';
  for (const [series, created] of now.created) {
    const previous = before.reading.created.get(series);
    if (previous !== undefined && previous !== created) return `${series} was created again`;
  }
  for (const key of COUNTER_KEYS) {
    if (now[key] < before.reading[key]) return `${COUNTER_METRIC[key]} went down`;
  }
  for (const key of HISTOGRAM_KEYS) {
    const previous = before.reading[key];
    const current = now[key];
    if (previous === undefined || current === undefined) continue;
    if (!sameLayout(previous, current)) return `${VLLM_METRICS[key]} bucket layout changed`;
    const lower =
      current.count < previous.count ||
      current.sum < previous.sum ||
      current.cumulative.some((value, i) => value < (previous.cumulative[i] ?? 0));
    if (lower) return `${VLLM_METRICS[key]} went down`;
  }
  return undefined;
}

/** Seconds to milliseconds, rounded to a nanosecond to drop binary noise (0.07 s -> 70 ms). */
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e6;
}

function histogramDelta(current: HistogramReading, previous: HistogramReading | undefined): LatencyHistogram | string {
  const boundsMs = current.bounds.map(secondsToMs);
  if (boundsMs.length === 0 || boundsMs.length > MAX_HISTOGRAM_BUCKETS) {
    return `has ${boundsMs.length} bounds, the contract takes 1-${MAX_HISTOGRAM_BUCKETS}`;
  }
  for (let i = 0; i < boundsMs.length; i += 1) {
    const bound = boundsMs[i] ?? 0;
    if (bound < 0 || bound > MAX_DURATION_MS || (i > 0 && bound <= (boundsMs[i - 1] ?? 0))) {
      return 'has bounds the contract cannot hold';
    }
  }
  const counts: number[] = [];
  let below = 0;
  for (let i = 0; i < current.cumulative.length; i += 1) {
    const upTo = (current.cumulative[i] ?? 0) - (previous?.cumulative[i] ?? 0);
    const count = Math.round(upTo - below);
    // Possible only when a scrape raced an observation across buckets; no honest split exists.
    if (count < 0 || count > MAX_TOKEN_COUNT) return 'bucket deltas are inconsistent';
    counts.push(count);
    below = upTo;
  }
  return { boundsMs, counts, sumMs: Math.max(0, secondsToMs(current.sum - (previous?.sum ?? 0))) };
}

/** One tracker per scraped vLLM server; keeps the previous scrape's counters per model. */
export class VllmIntervalTracker {
  private readonly baselines = new Map<string, Baseline>();

  constructor(private readonly options: VllmTrackerOptions) {}

  observe(exposition: Exposition, timeMs: number): VllmObservation {
    const observation: VllmObservation = { intervals: [], resets: 0, problems: [] };
    const accumulated = accumulate(exposition);
    for (const [model, accumulator] of accumulated) {
      const problem = (message: string): void => {
        observation.problems.push(`model ${JSON.stringify(model)}: ${message}`);
      };
      if (contractText(model) === undefined) {
        problem('model_name is not a valid contract string; skipped');
        continue;
      }
      if (accumulator.invalid !== undefined) {
        problem(`${accumulator.invalid}; skipped this round, baseline kept`);
        continue;
      }
      const reading: ModelReading = { ...accumulator.counters, created: accumulator.created };
      for (const key of HISTOGRAM_KEYS) {
        const histogramAccumulator = accumulator.histograms[key];
        if (histogramAccumulator === undefined) continue;
        const histogram = finishHistogram(histogramAccumulator);
        if (typeof histogram === 'string') problem(`${VLLM_METRICS[key]}: ${histogram}; left out`);
        else reading[key] = histogram;
      }
      const interval = this.advance(model, reading, timeMs, observation, problem);
      if (interval) observation.intervals.push(interval);
    }
    for (const model of this.baselines.keys()) {
      if (!accumulated.has(model)) this.baselines.set(model, { timeMs, reading: ZERO_READING, absent: true });
    }
    return observation;
  }

  private advance(
    model: string,
    reading: ModelReading,
    timeMs: number,
    observation: VllmObservation,
    problem: (message: string) => void,
  ): TokenUsageIntervalInput | undefined {
    const before = this.baselines.get(model);
    if (before === undefined) {
      this.baselines.set(model, { timeMs, reading, absent: false });
      return undefined;
    }
    if (!(timeMs > before.timeMs)) {
      problem(`observed at ${timeMs}, not after the baseline at ${before.timeMs}; ignored`);
      return undefined;
    }
    this.baselines.set(model, { timeMs, reading, absent: false });
    const restarted = restartCause(before, reading) !== undefined;
    if (restarted) observation.resets += 1;
    const from = restarted ? ZERO_READING : before.reading;
    const intervalMs = timeMs - before.timeMs;
    if (intervalMs > MAX_DURATION_MS) {
      problem(`${intervalMs} ms since the baseline is longer than an interval may be; re-baselined`);
      return undefined;
    }
    const requests = Math.round(reading.requestSuccess - from.requestSuccess);
    const errors = Math.round(reading.requestErrors - from.requestErrors);
    const inputTokens = Math.round(reading.promptTokens - from.promptTokens);
    const outputTokens = Math.round(reading.generationTokens - from.generationTokens);
    const histograms: Partial<Record<HistogramKey, LatencyHistogram>> = {};
    for (const key of HISTOGRAM_KEYS) {
      const current = reading[key];
      // Without a comparable baseline histogram (new, or unreadable last time) there is no delta.
      if (current === undefined || (!restarted && before.reading[key] === undefined)) continue;
      const delta = histogramDelta(current, restarted ? undefined : before.reading[key]);
      if (typeof delta === 'string') problem(`${VLLM_METRICS[key]} ${delta}; left out`);
      else histograms[key] = delta;
    }
    const moved =
      requests > 0 ||
      inputTokens > 0 ||
      outputTokens > 0 ||
      HISTOGRAM_KEYS.some((key) => histograms[key]?.counts.some((count) => count > 0));
    if (!moved) return undefined;
    if (Math.max(requests, inputTokens, outputTokens) > MAX_TOKEN_COUNT) {
      problem(`more than ${MAX_TOKEN_COUNT} requests or tokens in one interval; skipped`);
      return undefined;
    }
    const startMs = before.timeMs;
    const { source, node, tenant } = this.options;
    return {
      eventId: scrapedEventId(source, [node, model], startMs),
      time: new Date(startMs).toISOString(),
      intervalMs,
      source: 'vllm',
      model,
      ...(tenant !== undefined ? { tenant } : {}),
      node,
      requests,
      errors,
      inputTokens,
      outputTokens,
      ...(histograms.timeToFirstToken ? { ttftMs: histograms.timeToFirstToken } : {}),
      ...(histograms.e2eLatency ? { durationMs: histograms.e2eLatency } : {}),
    };
  }
}
