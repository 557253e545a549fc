// Fault (e): every event is posted twice, the second copy later and in a different request.
// The eventId is the idempotency key end to end: each event is stored once and rolled up once
// (docs/ARCHITECTURE.md, "Ownership").
import type { TokenUsageEventInput } from '@tokenmeter/contracts';
import { chunk, seededRandom, shuffle, tokenSeries, tokenTraffic } from '../support/fault-events';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('e-double-post');

afterAll(() => run.close());

/**
 * The request sequence: the first copies in delivery order; each second copy in a re-cut,
 * reshuffled request that is sent at least `lag` requests after its first copy's request.
 */
function twiceOver(random: () => number, events: TokenUsageEventInput[], lag: number): TokenUsageEventInput[][] {
  const first = chunk(random, events, 500, 1_000);
  const firstRequest = new Map<string, number>();
  first.forEach((batch, i) => batch.forEach((e) => firstRequest.set(e.eventId, i)));
  const again: TokenUsageEventInput[] = [];
  for (let i = 0; i < events.length; i += 3_000) again.push(...shuffle(random, events.slice(i, i + 3_000)));
  const second = chunk(random, again, 500, 1_000);
  const requests: TokenUsageEventInput[][] = [];
  let next = 0;
  first.forEach((batch, i) => {
    requests.push(batch);
    while (
      next < second.length &&
      Math.max(...(second[next] ?? []).map((e) => firstRequest.get(e.eventId) ?? 0)) + lag <= i
    ) {
      requests.push(second[next] as TokenUsageEventInput[]);
      next += 1;
    }
  });
  requests.push(...second.slice(next));
  return requests;
}

it(`stores and rolls up each of ${EVENTS} events once although every one was posted twice (seed ${seed})`, async () => {
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  const requests = twiceOver(random, events, 10);
  run.expectedMessages.set(run.topics.tokens, 2 * EVENTS);

  const load = await run.loader('tokens').run(requests);
  expect(load.accepted).toBe(2 * EVENTS);

  const report = await verifyScenario(run, { expectation: { tokens: events }, loads: [load] });
  // Every second copy reached Kafka and was rejected as a duplicate by the processor.
  expect(report.duplicatesRejected).toBeGreaterThanOrEqual(EVENTS);
  expect(await run.metric('tokenmeter_processor_events_total', { outcome: 'duplicate' })).toBeGreaterThanOrEqual(
    EVENTS,
  );
});
