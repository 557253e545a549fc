// Fault (f): 5% of the token topic is poison, written straight to Kafka by a producer that skips
// validation, mixed into the valid stream. Every poison message must end in the DLQ (exactly
// those, by original topic/partition/offset), none may be stored or rolled up, and no partition
// may stall behind one (SPEC §6, docs/ARCHITECTURE.md step 1 and 5).
import { chunk, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { PoisonWriter } from '../support/poison';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
/** 5% of the messages on the topic. */
const POISON = Math.round((EVENTS * 5) / 95);
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('f-poison');

afterAll(() => run.close());

it(`dead-letters exactly the ${POISON} poison messages mixed into ${EVENTS} events (seed ${seed})`, async () => {
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  run.expectedMessages.set(run.topics.tokens, EVENTS + POISON);
  const loader = run.loader('tokens', { maxEventsPerSecond: 4_000 });
  let loading = true;
  const load = loader.run(chunk(random, events, 500, 1_000)).finally(() => (loading = false));
  const poison = new PoisonWriter(run.kafka, run.topics.tokens);
  const [result, poisoned] = await Promise.all([
    load,
    poison.run(
      random,
      events,
      POISON,
      () => loader.accepted / EVENTS,
      () => !loading,
    ),
  ]);
  expect(result.accepted).toBe(EVENTS);
  expect(poisoned).toBe(POISON);

  await verifyScenario(run, {
    expectation: { tokens: events, poison: POISON },
    loads: [result],
    notes: [`poison kinds ${JSON.stringify(poison.kinds)}`],
  });
});
