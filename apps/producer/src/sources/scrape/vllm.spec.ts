import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type TokenUsageIntervalInput, validateTokenUsageInterval } from '@tokenmeter/contracts';
import { parsePrometheusText } from '@tokenmeter/telemetry';

import { scrapedEventId } from './event-id';
import { type VllmObservation, VllmIntervalTracker, type VllmTrackerOptions } from './vllm';

const SOURCE = 'http://10.0.4.17:8000/metrics';
const NODE = 'gpu-node-02';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';
const QWEN = 'Qwen/Qwen2.5-7B-Instruct';
const LLAMA_70B = 'meta-llama/Llama-3.1-70B-Instruct';
/** A --served-model-name with a quote and a backslash, escaped in the exposition. */
const ESCAPED = 'acme/"support" \\ bot';
const T0 = Date.UTC(2026, 0, 15, 9, 30, 0);
const T1 = T0 + 15_000;
const T2 = T0 + 30_000;

// vLLM's default bucket bounds, in milliseconds.
const TTFT_BOUNDS_MS = [
  1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000, 20_000, 40_000, 80_000, 160_000,
  640_000, 2_560_000,
];
const E2E_BOUNDS_MS = [
  300, 500, 800, 1000, 1500, 2000, 2500, 5000, 10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 60_000, 120_000, 240_000,
  480_000, 960_000, 1_920_000, 7_680_000,
];

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/** vLLM in multiprocess mode (PROMETHEUS_MULTIPROC_DIR) exports no `_created` series. */
function withoutCreated(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^(?:# (?:HELP|TYPE) )?vllm:[a-z0-9_]+_created\b/.test(line))
    .join('\n');
}

/** Non-cumulative counts with `bounds + 1` entries, zero except where given. */
function counts(boundCount: number, nonZero: Record<number, number>): number[] {
  return Array.from({ length: boundCount + 1 }, (_, i) => nonZero[i] ?? 0);
}

function tracker(overrides: Partial<VllmTrackerOptions> = {}): VllmIntervalTracker {
  return new VllmIntervalTracker({ source: SOURCE, node: NODE, ...overrides });
}

function observe(subject: VllmIntervalTracker, text: string, timeMs: number): VllmObservation {
  const observation = subject.observe(parsePrometheusText(text), timeMs);
  for (const interval of observation.intervals) {
    const result = validateTokenUsageInterval(interval, { nowMs: timeMs });
    expect(result.ok ? [] : result.errors).toEqual([]);
  }
  return observation;
}

interface ModelCounters {
  prompt: number;
  generation: number;
  success: number;
  /** [le bounds as printed, cumulative counts incl. +Inf, sum in seconds] */
  ttft?: [string[], number[], number];
}

/** A small vLLM exposition with only the series the tracker reads. */
function vllmText(models: Record<string, ModelCounters>): string {
  const lines: string[] = [];
  for (const [model, counters] of Object.entries(models)) {
    const labels = `engine="0",model_name="${model}"`;
    lines.push(`vllm:prompt_tokens_total{${labels}} ${counters.prompt}`);
    lines.push(`vllm:generation_tokens_total{${labels}} ${counters.generation}`);
    lines.push(`vllm:request_success_total{${labels},finished_reason="stop"} ${counters.success}`);
    if (counters.ttft) {
      const [bounds, cumulative, sum] = counters.ttft;
      [...bounds, '+Inf'].forEach((le, i) => {
        lines.push(`vllm:time_to_first_token_seconds_bucket{${labels},le="${le}"} ${cumulative[i]}`);
      });
      lines.push(`vllm:time_to_first_token_seconds_sum{${labels}} ${sum}`);
      lines.push(`vllm:time_to_first_token_seconds_count{${labels}} ${cumulative[cumulative.length - 1]}`);
    }
  }
  return lines.join('\n');
}

describe('VllmIntervalTracker', () => {
  it('turns three scrapes (growth, a new model, a restart) into counter-delta intervals', () => {
    const subject = tracker();
    expect(observe(subject, fixture('vllm-1.prom'), T0)).toEqual({ intervals: [], resets: 0, problems: [] });

    expect(observe(subject, fixture('vllm-2.prom'), T1)).toEqual({
      intervals: [
        {
          eventId: scrapedEventId(SOURCE, [NODE, LLAMA], T0),
          time: '2026-01-15T09:30:00.000Z',
          intervalMs: 15_000,
          source: 'vllm',
          model: LLAMA,
          node: NODE,
          requests: 10,
          errors: 0,
          inputTokens: 4200,
          outputTokens: 2310,
          ttftMs: { boundsMs: TTFT_BOUNDS_MS, counts: counts(22, { 4: 4, 5: 5, 7: 1 }), sumMs: 512 },
          durationMs: { boundsMs: E2E_BOUNDS_MS, counts: counts(21, { 4: 6, 5: 3, 7: 1 }), sumMs: 19_375 },
        },
      ],
      resets: 0,
      problems: [],
    });

    // Llama restarted (its counters are lower): its current values are the interval's usage.
    expect(observe(subject, fixture('vllm-3-reset.prom'), T2)).toEqual({
      intervals: [
        {
          eventId: scrapedEventId(SOURCE, [NODE, LLAMA], T1),
          time: '2026-01-15T09:30:15.000Z',
          intervalMs: 15_000,
          source: 'vllm',
          model: LLAMA,
          node: NODE,
          requests: 3,
          errors: 0,
          inputTokens: 1536,
          outputTokens: 777,
          ttftMs: { boundsMs: TTFT_BOUNDS_MS, counts: counts(22, { 8: 2, 9: 1 }), sumMs: 750 },
          durationMs: { boundsMs: E2E_BOUNDS_MS, counts: counts(21, { 5: 2, 7: 1 }), sumMs: 7125 },
        },
        {
          eventId: scrapedEventId(SOURCE, [NODE, QWEN], T1),
          time: '2026-01-15T09:30:15.000Z',
          intervalMs: 15_000,
          source: 'vllm',
          model: QWEN,
          node: NODE,
          requests: 2,
          errors: 0,
          inputTokens: 2560,
          outputTokens: 1024,
          ttftMs: { boundsMs: TTFT_BOUNDS_MS, counts: counts(22, { 5: 1, 6: 1 }), sumMs: 125 },
          durationMs: { boundsMs: E2E_BOUNDS_MS, counts: counts(21, { 4: 2 }), sumMs: 2750 },
        },
      ],
      resets: 1,
      problems: [],
    });
  });

  describe('a fleet scrape (two engines, several models, every finish reason)', () => {
    const T_RESTARTED = T1 + 600_000;
    // Every request of these fixtures lands in the 250 ms TTFT bucket and the 5 s e2e bucket,
    // with 0.2 s and 3 s each.
    const latency = (requests: number): Pick<TokenUsageIntervalInput, 'ttftMs' | 'durationMs'> => ({
      ttftMs: { boundsMs: TTFT_BOUNDS_MS, counts: counts(22, { 8: requests }), sumMs: requests * 200 },
      durationMs: { boundsMs: E2E_BOUNDS_MS, counts: counts(21, { 7: requests }), sumMs: requests * 3000 },
    });

    it('sums both engines per model, keeps escaped model names and counts abort and error as errors', () => {
      const subject = tracker();
      expect(observe(subject, fixture('vllm-fleet-1.prom'), T0)).toEqual({ intervals: [], resets: 0, problems: [] });
      expect(observe(subject, fixture('vllm-fleet-2.prom'), T1)).toEqual({
        intervals: [
          {
            eventId: scrapedEventId(SOURCE, [NODE, LLAMA_70B], T0),
            time: '2026-01-15T09:30:00.000Z',
            intervalMs: 15_000,
            source: 'vllm',
            model: LLAMA_70B,
            node: NODE,
            // engine 0: stop +12, length +1, abort +2, error +1; engine 1: stop +10, repetition +1
            requests: 27,
            errors: 3,
            inputTokens: 10_500,
            outputTokens: 3500,
            ...latency(27),
          },
          // Qwen did not move: no interval.
          {
            eventId: scrapedEventId(SOURCE, [NODE, ESCAPED], T0),
            time: '2026-01-15T09:30:00.000Z',
            intervalMs: 15_000,
            source: 'vllm',
            model: ESCAPED,
            node: NODE,
            requests: 3,
            errors: 1,
            inputTokens: 600,
            outputTokens: 150,
            ...latency(3),
          },
        ],
        resets: 0,
        problems: [],
      });
    });

    it('finds a restart by its new _created although every counter regrew past the last good scrape', () => {
      const subject = tracker();
      observe(subject, fixture('vllm-fleet-1.prom'), T0);
      observe(subject, fixture('vllm-fleet-2.prom'), T1);
      // The scrapes in between failed: the baseline stays at T1.
      expect(observe(subject, fixture('vllm-fleet-3-restarted.prom'), T_RESTARTED)).toEqual({
        intervals: [
          {
            eventId: scrapedEventId(SOURCE, [NODE, LLAMA_70B], T1),
            time: '2026-01-15T09:30:15.000Z',
            intervalMs: 600_000,
            source: 'vllm',
            model: LLAMA_70B,
            node: NODE,
            // Everything the new process counted: engine 0 350 requests (10 errors), engine 1 317 (5).
            requests: 667,
            errors: 15,
            inputTokens: 246_000,
            outputTokens: 83_500,
            ...latency(667),
          },
          {
            eventId: scrapedEventId(SOURCE, [NODE, ESCAPED], T1),
            time: '2026-01-15T09:30:15.000Z',
            intervalMs: 600_000,
            source: 'vllm',
            model: ESCAPED,
            node: NODE,
            requests: 3,
            errors: 1,
            inputTokens: 500,
            outputTokens: 150,
            ...latency(3),
          },
        ],
        resets: 1,
        problems: [],
      });
    });

    it('without _created (multiprocess mode) takes the same restart for growth, as documented', () => {
      const subject = tracker();
      observe(subject, withoutCreated(fixture('vllm-fleet-2.prom')), T1);
      const observation = observe(subject, withoutCreated(fixture('vllm-fleet-3-restarted.prom')), T_RESTARTED);
      expect(observation.resets).toBe(0);
      expect(observation.intervals[0]).toEqual({
        eventId: scrapedEventId(SOURCE, [NODE, LLAMA_70B], T1),
        time: '2026-01-15T09:30:15.000Z',
        intervalMs: 600_000,
        source: 'vllm',
        model: LLAMA_70B,
        node: NODE,
        // The difference to the old process's last values: 656 requests before the restart are lost.
        requests: 11,
        errors: 2,
        inputTokens: 5500,
        outputTokens: 2000,
        ...latency(11),
      });
    });

    it('emits nothing for the same scrape seen again (no restart, no growth)', () => {
      const subject = tracker();
      observe(subject, fixture('vllm-fleet-2.prom'), T1);
      expect(observe(subject, fixture('vllm-fleet-2.prom'), T1 + 15_000)).toEqual({
        intervals: [],
        resets: 0,
        problems: [],
      });
    });
  });

  it('gives a re-scraped interval the same event id', () => {
    const ids = (): string[] => {
      const subject = tracker();
      return [
        ...observe(subject, fixture('vllm-1.prom'), T0).intervals,
        ...observe(subject, fixture('vllm-2.prom'), T1).intervals,
        ...observe(subject, fixture('vllm-3-reset.prom'), T2).intervals,
      ].map((interval) => interval.eventId);
    };
    const first = ids();
    expect(first).toHaveLength(3);
    expect(new Set(first).size).toBe(3);
    expect(ids()).toEqual(first);
  });

  it('adds the tenant when configured', () => {
    const subject = tracker({ tenant: 'acme' });
    observe(subject, fixture('vllm-1.prom'), T0);
    expect(observe(subject, fixture('vllm-2.prom'), T1).intervals[0]?.tenant).toBe('acme');
  });

  it('emits nothing for a model whose counters did not move, and moves its baseline on', () => {
    const subject = tracker();
    observe(subject, vllmText({ m: { prompt: 10, generation: 5, success: 1 } }), T0);
    expect(observe(subject, vllmText({ m: { prompt: 10, generation: 5, success: 1 } }), T1).intervals).toEqual([]);
    const [interval] = observe(subject, vllmText({ m: { prompt: 30, generation: 9, success: 2 } }), T2).intervals;
    expect(interval).toMatchObject({ time: '2026-01-15T09:30:15.000Z', intervalMs: 15_000, inputTokens: 20 });
  });

  it('skips a model with a NaN or negative value and keeps its baseline', () => {
    const subject = tracker();
    observe(
      subject,
      vllmText({ m: { prompt: 10, generation: 5, success: 1 }, n: { prompt: 1, generation: 1, success: 1 } }),
      T0,
    );
    const bad = observe(
      subject,
      vllmText({ m: { prompt: Number.NaN, generation: 6, success: 2 }, n: { prompt: 2, generation: -1, success: 1 } }),
      T1,
    );
    expect(bad).toEqual({
      intervals: [],
      resets: 0,
      problems: [
        'model "m": vllm:prompt_tokens_total is NaN; skipped this round, baseline kept',
        'model "n": vllm:generation_tokens_total is -1; skipped this round, baseline kept',
      ],
    });
    const { intervals } = observe(subject, vllmText({ m: { prompt: 40, generation: 8, success: 3 } }), T2);
    expect(intervals).toEqual([
      expect.objectContaining({ model: 'm', time: '2026-01-15T09:30:00.000Z', intervalMs: 30_000, inputTokens: 30 }),
    ]);
  });

  it('treats a model that disappears and comes back as restarted', () => {
    const subject = tracker();
    observe(subject, vllmText({ m: { prompt: 500, generation: 50, success: 5 } }), T0);
    expect(observe(subject, '# vLLM is restarting\n', T1)).toEqual({ intervals: [], resets: 0, problems: [] });
    const back = observe(subject, vllmText({ m: { prompt: 700, generation: 70, success: 7 } }), T2);
    expect(back.resets).toBe(1);
    expect(back.intervals).toEqual([
      expect.objectContaining({ time: '2026-01-15T09:30:15.000Z', requests: 7, inputTokens: 700, outputTokens: 70 }),
    ]);
  });

  it('treats a changed bucket layout as a restart', () => {
    const subject = tracker();
    const before: ModelCounters = { prompt: 900, generation: 90, success: 9, ttft: [['0.1', '1.0'], [4, 9, 9], 2.5] };
    const after: ModelCounters = { prompt: 950, generation: 95, success: 10, ttft: [['0.5', '1.0'], [1, 1, 1], 0.3] };
    observe(subject, vllmText({ m: before }), T0);
    const observation = observe(subject, vllmText({ m: after }), T1);
    expect(observation.resets).toBe(1);
    expect(observation.intervals).toEqual([
      expect.objectContaining({
        requests: 10,
        inputTokens: 950,
        ttftMs: { boundsMs: [500, 1000], counts: [1, 0, 0], sumMs: 300 },
      }),
    ]);
  });

  it('counts a histogram count going down as a restart', () => {
    const subject = tracker();
    const ttft = (cumulative: number[], sum: number): ModelCounters['ttft'] => [['0.1'], cumulative, sum];
    observe(subject, vllmText({ m: { prompt: 10, generation: 1, success: 1, ttft: ttft([4, 5], 0.9) } }), T0);
    const observation = observe(
      subject,
      vllmText({ m: { prompt: 20, generation: 2, success: 2, ttft: ttft([1, 2], 0.4) } }),
      T1,
    );
    expect(observation.resets).toBe(1);
    expect(observation.intervals[0]).toMatchObject({ inputTokens: 20, ttftMs: { counts: [1, 1], sumMs: 400 } });
  });

  it('sums over finished_reason and other labels, ignores unlabelled series and an unchanged _created', () => {
    const subject = tracker();
    const text = (stop: number, length: number): string =>
      [
        `vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} ${stop}`,
        `vllm:request_success_total{engine="1",finished_reason="length",model_name="m"} ${length}`,
        'vllm:prompt_tokens_total{engine="0",model_name="m"} 100',
        'vllm:prompt_tokens_created{engine="0",model_name="m"} 1.767258e+09',
        `vllm:prompt_tokens_total{engine="0"} ${stop * 1000}`,
      ].join('\n');
    observe(subject, text(1, 1), T0);
    expect(observe(subject, text(4, 3), T1).intervals).toEqual([
      expect.objectContaining({ requests: 5, inputTokens: 0, outputTokens: 0 }),
    ]);
  });

  it('leaves out a histogram it cannot read, with a problem, and still counts the tokens', () => {
    const subject = tracker();
    const noInf = (prompt: number): string =>
      [
        `vllm:prompt_tokens_total{model_name="m"} ${prompt}`,
        'vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.1"} 3',
        'vllm:time_to_first_token_seconds_sum{model_name="m"} 0.2',
      ].join('\n');
    observe(subject, noInf(10), T0);
    const observation = observe(subject, noInf(25), T1);
    expect(observation.problems).toEqual(['model "m": vllm:time_to_first_token_seconds: no +Inf bucket; left out']);
    expect(observation.intervals).toEqual([expect.objectContaining({ inputTokens: 15 })]);
    expect(observation.intervals[0]).not.toHaveProperty('ttftMs');
  });

  it('ignores an observation that is not later than the baseline', () => {
    const subject = tracker();
    observe(subject, vllmText({ m: { prompt: 10, generation: 1, success: 1 } }), T1);
    const observation = observe(subject, vllmText({ m: { prompt: 20, generation: 2, success: 2 } }), T1);
    expect(observation.intervals).toEqual([]);
    expect(observation.problems).toEqual([`model "m": observed at ${T1}, not after the baseline at ${T1}; ignored`]);
  });
});
