// Fault (g), issue 5: the Kafka broker is stopped while the load generator (`npm run loadgen`,
// here in-process through its library API, tools/loadgen) posts to the producer.
//   - the producer answers 503 within 2 s of the broker being gone, instead of hanging;
//   - nothing it acknowledged (202) is lost: the checker compares every stored event and rollup;
//   - ingestion resumes by itself once the broker is back (no restart of any service).
// The load generator retries refused requests after Retry-After with the same eventIds, so in
// the end every event it sent is acknowledged and must be stored exactly once.
import type { TokenUsageEventInput } from '@tokenmeter/contracts';
import { buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { DEFAULT_LOAD_OPTIONS, fetchPoster, type PostFn, runLoad } from '../../tools/loadgen/src';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { expectEventually } from '../support/eventually';
import { localServerPort, startLocalServer, stopLocalServer } from '../support/local-servers';

const RATE = Number(process.env.FAULT_LOADGEN_RATE ?? 1_000);
const DURATION_S = Number(process.env.FAULT_LOADGEN_DURATION_S ?? 60);
const OUTAGE_MS = 10_000;
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('g-loadgen-broker-stop');

afterAll(() => run.close());

it(`keeps every acknowledged event across a broker stop under the load generator (seed ${seed})`, async () => {
  const port = localServerPort('kafka', run.kafkaBrokers);
  await run.startProcessor(0);
  const producer = await run.startProducer();

  // The events of every request, from the bodies the load generator posts.
  const posted = new Map<string, TokenUsageEventInput>();
  const http = fetchPoster(10_000);
  const post: PostFn = (url, body, headers) => {
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as TokenUsageEventInput;
      posted.set(event.eventId, event);
    }
    return http(url, body, headers);
  };
  const acknowledged = new Set<string>();
  let acceptedAfterRestart = 0;
  // The slowest 503: requests in flight when the broker went away must not hang either.
  let slowest503Ms = 0;
  let restarted = false;
  const load = runLoad(
    {
      ...DEFAULT_LOAD_OPTIONS,
      target: producer.baseUrl,
      ratePerSecond: RATE,
      durationSeconds: DURATION_S,
      batchSize: 100,
      concurrency: 4,
      seed,
      gpus: false,
      retryAttempts: 50,
      requestTimeoutMs: 10_000,
    },
    {
      post,
      onResult: (ids, outcome, request) => {
        if (outcome.kind === 'unavailable') slowest503Ms = Math.max(slowest503Ms, request.latencyMs);
        if (outcome.kind !== 'accepted') return;
        ids.forEach((id, i) => {
          if (!outcome.rejectedIndexes.has(i)) acknowledged.add(id);
        });
        if (restarted) acceptedAfterRestart += ids.length;
      },
    },
  );

  let note: string | undefined;
  try {
    await expectEventually(() => Promise.resolve(expect(acknowledged.size).toBeGreaterThanOrEqual(RATE * 10)), {
      timeoutMs: 120_000,
      description: `${RATE * 10} events acknowledged before the stop`,
    });
    const before = acknowledged.size;
    await stopLocalServer('kafka', port);
    const stoppedAtMs = Date.now();

    // A request sent now must be answered 503 (with Retry-After) within 2 s, not hang.
    const probe = async (): Promise<{ status: number; ms: number; retryAfter: string | null }> => {
      const started = Date.now();
      const res = await fetch(`${producer.baseUrl}/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(buildTokenUsageEvent()),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      return { status: res.status, ms: Date.now() - started, retryAfter: res.headers.get('retry-after') };
    };
    const first = await probe();
    expect(first.status).toBe(503);
    expect(first.retryAfter).not.toBeNull();
    expect(first.ms).toBeLessThanOrEqual(2_000);
    const ready = await fetch(`${producer.baseUrl}/health/ready`);
    const readiness = (await ready.json()) as { error?: { kafka?: { message?: string } } };
    expect(ready.status).toBe(503);
    expect(readiness.error?.kafka?.message).toMatch(/answering 503/);

    // Keep the broker away a while longer: the load generator keeps posting and is refused.
    await expectEventually(
      async () => {
        const again = await probe();
        expect(again.status).toBe(503);
        expect(again.ms).toBeLessThanOrEqual(2_000);
        expect(Date.now() - stoppedAtMs).toBeGreaterThanOrEqual(OUTAGE_MS);
      },
      { timeoutMs: OUTAGE_MS * 3, intervalMs: 1_000, description: 'the outage lasting its time' },
    );
    await startLocalServer('kafka', port);
    restarted = true;
    note =
      `broker stopped at ${before} acknowledged for ${((Date.now() - stoppedAtMs) / 1000).toFixed(1)} s; ` +
      `first answer after the stop: ${first.status} in ${first.ms} ms`;
    expect(slowest503Ms).toBeGreaterThan(0);
    expect(slowest503Ms).toBeLessThanOrEqual(2_000);
    note += `; slowest 503 to the load generator ${slowest503Ms} ms`;

    // Nobody restarts the producer: it finds the broker again by itself.
    await expectEventually(() => Promise.resolve(expect(acceptedAfterRestart).toBeGreaterThan(0)), {
      timeoutMs: 60_000,
      description: 'ingestion resuming after the broker is back',
    });
  } finally {
    if (!restarted) await startLocalServer('kafka', port).catch(() => undefined);
  }

  const summary = await load;
  expect(summary.tokens.unavailable).toBe(0);
  expect(summary.tokens.failed).toBe(0);
  expect(summary.tokens.accepted).toBe(summary.tokens.sent);
  expect(summary.tokens.retries).toBeGreaterThan(0);
  // Every acknowledged event is one the load generator posted.
  const events = [...acknowledged].map((id) => posted.get(id));
  expect(events.every((e) => e !== undefined)).toBe(true);
  await verifyScenario(run, {
    expectation: { tokens: events as TokenUsageEventInput[] },
    loads: [
      {
        batches: summary.tokens.requests,
        events: summary.tokens.sent,
        accepted: summary.tokens.accepted,
        attempts: summary.tokens.requests + summary.tokens.retries,
        retries: summary.tokens.retries,
        outcomes: summary.statusCounts,
        durationMs: summary.elapsedMs,
      },
    ],
    notes: [note ?? '', `load generator: ${summary.achievedRatePerSecond.toFixed(0)} events/s achieved`],
  });
});
