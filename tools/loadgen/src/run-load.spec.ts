import { validateGpuSample, validateTokenUsageEvent } from '@tokenmeter/contracts';

import { DEFAULT_LOAD_OPTIONS, type LoadOptions, LoadOptionsError } from './load-options';
import type { LoadClock } from './pacing';
import type { PostResponse, RequestOutcome } from './producer-api';
import { formatProgress } from './report';
import { type RequestInfo, runLoad } from './run-load';

/** Virtual time: `sleep` moves the clock and fires the timers that are due. */
class FakeClock implements LoadClock {
  private timers: { at: number; fire: () => void }[] = [];

  constructor(private nowMs = Date.UTC(2026, 2, 10, 12)) {}

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    this.nowMs += ms;
    const due = this.timers.filter((t) => t.at <= this.nowMs).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.nowMs);
    for (const timer of due) timer.fire();
    return Promise.resolve();
  }

  /** A promise that resolves once the clock has moved `ms` on. */
  after(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.nowMs + ms, fire: resolve }));
  }
}

interface PostedRequest {
  url: string;
  headers: Readonly<Record<string, string>>;
  events: Record<string, unknown>[];
  atMs: number;
}

type Answer = (request: PostedRequest, index: number) => PostResponse | Error;

const accepted: Answer = (request) => ({
  status: 202,
  body: JSON.stringify({ accepted: request.events.length, rejected: [] }),
});

/** A fake producer: records every request and answers with `answer`, after `latencyMs` of the clock. */
function fakeProducer(clock: FakeClock, answer: Answer = accepted, latencyMs = 0) {
  const requests: PostedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const post = async (url: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostResponse> => {
    const request: PostedRequest = {
      url,
      headers,
      events: body
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
      atMs: clock.now(),
    };
    const index = requests.push(request) - 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (latencyMs > 0) await clock.after(latencyMs);
      const result = answer(request, index);
      if (result instanceof Error) throw result;
      return result;
    } finally {
      inFlight -= 1;
    }
  };
  return {
    post,
    requests,
    maxInFlight: () => maxInFlight,
    eventIds: () => requests.flatMap((r) => r.events.map((e) => e['eventId'] as string)),
  };
}

function loadOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  return { ...DEFAULT_LOAD_OPTIONS, ratePerSecond: 100, durationSeconds: 5, seed: 1, ...overrides };
}

describe('runLoad', () => {
  it('posts rate × duration valid NDJSON events to /v1/tokens and stops at the end of the duration', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock);
    const summary = await runLoad(loadOptions({ apiKey: 'k-123', target: 'http://producer:3001/' }), {
      post: producer.post,
      clock,
    });

    expect(summary.tokens).toMatchObject({ sent: 500, accepted: 500, rejected: 0, pending: 0, retries: 0 });
    expect(summary).toMatchObject({ ok: true, aborted: false, behindSchedule: 0, statusCounts: { '202': 50 } });
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(5_000);
    expect(summary.elapsedMs).toBeLessThanOrEqual(5_200);
    expect(summary.achievedRatePerSecond).toBeCloseTo(100, 0);
    expect(new Set(producer.eventIds()).size).toBe(500);
    for (const request of producer.requests) {
      expect(request.url).toBe('http://producer:3001/v1/tokens');
      expect(request.headers).toMatchObject({
        'content-type': 'application/x-ndjson',
        authorization: 'Bearer k-123',
      });
      for (const event of request.events) {
        expect(validateTokenUsageEvent(event, { nowMs: request.atMs })).toMatchObject({ ok: true });
      }
    }
  });

  it('holds the rate: events are stamped at their due time and sent within a tick of it', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const producer = fakeProducer(clock);
    await runLoad(loadOptions({ ratePerSecond: 40, durationSeconds: 3 }), { post: producer.post, clock });
    const times = producer.requests.flatMap((r) => r.events.map((e) => Date.parse(e['time'] as string) - start));
    expect(times).toHaveLength(120);
    expect(times.slice(0, 3)).toEqual([0, 25, 50]);
    for (const request of producer.requests) {
      const oldest = Date.parse(request.events[0]?.['time'] as string);
      expect(request.atMs - oldest).toBeLessThanOrEqual(200);
    }
  });

  it('fills requests up to the batch size', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock);
    const summary = await runLoad(loadOptions({ ratePerSecond: 2_000, durationSeconds: 2, batchSize: 150 }), {
      post: producer.post,
      clock,
    });
    expect(summary.tokens.sent).toBe(4_000);
    expect(Math.max(...producer.requests.map((r) => r.events.length))).toBe(150);
  });

  it('keeps at most `concurrency` requests in flight and counts what it could not send in time', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock, accepted, 1_000);
    const summary = await runLoad(
      loadOptions({ ratePerSecond: 1_000, durationSeconds: 3, batchSize: 100, concurrency: 2 }),
      { post: producer.post, clock },
    );
    expect(producer.maxInFlight()).toBe(2);
    // 2 requests of 100 per second of latency: about 800 of the 3,000 due events go out.
    expect(summary.tokens.sent).toBeLessThan(1_000);
    expect(summary.behindSchedule).toBe(3_000 - summary.tokens.sent);
    expect(summary.ok).toBe(true);
    expect(summary.latencyMs).toEqual({ p50: 1_000, p99: 1_000, max: 1_000 });
  });

  it('counts 503, 429, 4xx, network errors and 5xx, and sends nothing again by default', async () => {
    const clock = new FakeClock();
    const answers: Answer[] = [
      accepted,
      () => ({ status: 503, body: '{}', retryAfterSeconds: 5 }),
      () => ({ status: 429, body: '{}' }),
      () => ({ status: 400, body: '{}' }),
      () => ({ status: 413, body: '{}' }),
      () => new TypeError('fetch failed'),
      () => ({ status: 500, body: '{}' }),
    ];
    const producer = fakeProducer(clock, (request, i) => (answers[i % answers.length] ?? accepted)(request, i));
    const results: { ids: readonly string[]; outcome: RequestOutcome; info: RequestInfo }[] = [];
    const summary = await runLoad(loadOptions({ ratePerSecond: 100, durationSeconds: 7, batchSize: 10 }), {
      post: producer.post,
      clock,
      onResult: (ids, outcome, info) => results.push({ ids, outcome, info }),
    });

    expect(producer.requests).toHaveLength(70);
    expect(summary.tokens).toMatchObject({
      sent: 700,
      accepted: 100,
      unavailable: 100,
      throttled: 100,
      rejected: 200,
      failed: 200,
      pending: 0,
    });
    expect(summary.statusCounts).toEqual({
      '202': 10,
      '503': 10,
      '429': 10,
      '400': 10,
      '413': 10,
      network: 10,
      '500': 10,
    });
    expect(summary.ok).toBe(false);
    expect(new Set(producer.eventIds()).size).toBe(700);
    expect(results.map((r) => r.outcome.kind).slice(0, 7)).toEqual([
      'accepted',
      'unavailable',
      'throttled',
      'rejected',
      'rejected',
      'failed',
      'failed',
    ]);
    expect(results[1]?.outcome).toEqual({ kind: 'unavailable', status: 503, retryAfterMs: 5_000 });
    expect(results[5]?.outcome).toEqual({ kind: 'failed', error: 'TypeError: fetch failed' });
    expect(results.every((r) => r.info.final && r.info.attempt === 1 && r.info.stream === 'tokens')).toBe(true);
    expect(results[0]?.ids).toEqual(producer.requests[0]?.events.map((e) => e['eventId']));
  });

  it('reports the rejected indexes of a 202 and counts the rest as accepted', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock, (request) => ({
      status: 202,
      body: JSON.stringify({
        accepted: request.events.length - 2,
        rejected: [
          { index: 0, errors: [{ path: '$.time', message: 'too old' }] },
          { index: 3, errors: [] },
        ],
      }),
    }));
    const outcomes: RequestOutcome[] = [];
    const summary = await runLoad(loadOptions({ ratePerSecond: 100, durationSeconds: 1, batchSize: 10 }), {
      post: producer.post,
      clock,
      onResult: (_ids, outcome) => outcomes.push(outcome),
    });
    expect(summary.tokens).toMatchObject({ sent: 100, accepted: 80, rejected: 20 });
    expect(outcomes[0]).toEqual({ kind: 'accepted', status: 202, rejectedIndexes: new Set([0, 3]) });
    expect(summary.ok).toBe(false);
  });

  it('with retryAttempts sends the same events again after Retry-After, and counts each event once', async () => {
    const clock = new FakeClock();
    const seen = new Map<string, number>();
    const producer = fakeProducer(clock, (request) => {
      const id = request.events[0]?.['eventId'] as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return (seen.get(id) ?? 0) < 3 ? { status: 503, body: '{}', retryAfterSeconds: 1 } : accepted(request, 0);
    });
    const infos: RequestInfo[] = [];
    const summary = await runLoad(
      loadOptions({ ratePerSecond: 50, durationSeconds: 1, batchSize: 5, retryAttempts: 2 }),
      {
        post: producer.post,
        clock,
        onResult: (_ids, _outcome, info) => infos.push(info),
      },
    );
    expect(summary.tokens).toMatchObject({ sent: 50, accepted: 50, unavailable: 0, retries: 20, requests: 30 });
    expect(summary.ok).toBe(true);
    expect(new Set(producer.eventIds()).size).toBe(50);
    expect(infos.filter((i) => !i.final).map((i) => i.attempt)).toEqual(expect.arrayContaining([1, 2]));
    expect(infos.filter((i) => i.final).every((i) => i.attempt === 3)).toBe(true);
    // Retry-After is honoured: the second attempt of the first batch comes 1 s after its first.
    const firstId = producer.requests[0]?.events[0]?.['eventId'];
    const attemptsAt = producer.requests.filter((r) => r.events[0]?.['eventId'] === firstId).map((r) => r.atMs);
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(1_000);
  });

  it('gives up after retryAttempts and keeps the last outcome', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock, () => ({ status: 429, body: '{}' }));
    const summary = await runLoad(loadOptions({ ratePerSecond: 10, durationSeconds: 1, retryAttempts: 1 }), {
      post: producer.post,
      clock,
    });
    expect(summary.tokens).toMatchObject({ sent: 10, throttled: 10, retries: summary.tokens.requests / 2 });
  });

  it('stops when the signal aborts, waits for the requests in flight and returns the summary', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const producer = fakeProducer(clock, accepted, 50);
    const summary = await runLoad(loadOptions({ ratePerSecond: 100, durationSeconds: 60 }), {
      post: producer.post,
      clock,
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.elapsedMs >= 2_000) stop.abort();
      },
    });
    expect(summary.aborted).toBe(true);
    expect(summary.elapsedMs).toBeLessThan(2_500);
    expect(summary.tokens.sent).toBeGreaterThanOrEqual(190);
    expect(summary.tokens.sent).toBeLessThanOrEqual(210);
    expect(summary.tokens).toMatchObject({ accepted: summary.tokens.sent, pending: 0 });
    expect(summary.behindSchedule).toBe(0);
  });

  it('reports progress once per second of the clock', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock);
    const lines: string[] = [];
    await runLoad(loadOptions({ durationSeconds: 3 }), {
      post: producer.post,
      clock,
      onProgress: (progress) => lines.push(formatProgress(progress)),
    });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^1\.0s {2}sent 100 {2}accepted \d+ {2}rejected 0 {2}503 0 {2}429 0 {2}failed 0 .*ev\/s {2}p50/,
    );
  });

  it('posts valid GPU samples to /v1/gpus every interval when gpus is on', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock);
    const summary = await runLoad(loadOptions({ durationSeconds: 25, gpus: true }), { post: producer.post, clock });
    const gpuRequests = producer.requests.filter((r) => r.url.endsWith('/v1/gpus'));
    expect(gpuRequests).toHaveLength(2);
    expect(summary.gpus).toMatchObject({ sent: 64, accepted: 64 });
    for (const request of gpuRequests) {
      expect(request.events.map((e) => validateGpuSample(e, { nowMs: request.atMs }).ok)).not.toContain(false);
    }
    expect(summary.tokens.sent).toBe(2_500);
  });

  it('rethrows an exception from onResult after stopping', async () => {
    const clock = new FakeClock();
    const producer = fakeProducer(clock);
    await expect(
      runLoad(loadOptions(), {
        post: producer.post,
        clock,
        onResult: () => {
          throw new Error('checker failed');
        },
      }),
    ).rejects.toThrow('checker failed');
    expect(producer.requests.length).toBeLessThan(5);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const clock = new FakeClock();
      const producer = fakeProducer(clock);
      await runLoad(loadOptions({ seed, durationSeconds: 1 }), { post: producer.post, clock });
      return producer.eventIds();
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(4)).not.toEqual(await run(3));
  });

  it('rejects bad options, naming each problem', async () => {
    const bad = loadOptions({ ratePerSecond: 0, concurrency: 0, target: 'not a url' });
    await expect(runLoad(bad)).rejects.toThrow(LoadOptionsError);
    await expect(runLoad(bad)).rejects.toThrow(/--target.*--rate.*--concurrency/);
  });
});
