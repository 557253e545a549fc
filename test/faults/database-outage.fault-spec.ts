// Fault (c): the database is stopped for 20 s mid-run (scripts/dev/ferretdb.sh stop, then start +
// wait). The producer keeps accepting (it needs only Kafka); the processor retries its batch with
// capped backoff, commits nothing while the database is away, reports not-ready, and resumes by
// itself when it is back (SPEC §6, issue 3 "Backpressure and outages").
import { setTimeout as sleep } from 'node:timers/promises';
import { chunk, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { committedTotal, waitForCommitted } from '../support/fault-checker';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { localServerPort, startLocalServer, stopLocalServer } from '../support/local-servers';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const OUTAGE_MS = 20_000;
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('c-db-outage');

afterAll(() => run.close());

it(`stores ${EVENTS} events exactly once with exact rollups across a 20 s database outage (seed ${seed})`, async () => {
  const port = localServerPort('ferretdb', run.mongoUrl);
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  run.expectedMessages.set(run.topics.tokens, EVENTS);
  // Paced so events keep arriving during the outage.
  const loader = run.loader('tokens', { maxEventsPerSecond: 2_500 });
  const load = loader.run(chunk(random, events, 500, 1_000));
  const admin = await run.connectAdmin();
  const group = run.groupOf(run.topics.tokens);

  let outage = '';
  let stopped = false;
  try {
    await waitForCommitted(run, run.topics.tokens, Math.floor((0.15 + random() * 0.2) * EVENTS), {
      description: 'progress before the outage',
    });
    const stopBegan = Date.now();
    const stopResult = await stopLocalServer('ferretdb', port);
    stopped = true;
    const downSince = Date.now();

    // Readiness reports the outage (polled), and nothing is committed while the database is away.
    const notReadyAfterMs = await run.expectReadiness(503, OUTAGE_MS - 2_000);
    const committedWhenNotReady = await committedTotal(admin, group, run.topics.tokens);
    await sleep(Math.max(0, OUTAGE_MS - 1_500 - (Date.now() - downSince)));
    const committedLate = await committedTotal(admin, group, run.topics.tokens);
    const acceptedDuringOutage = loader.accepted;
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downSince)));

    const startResult = await startLocalServer('ferretdb', port);
    stopped = false;
    const downMs = Date.now() - stopBegan;
    const readyAfterMs = await run.expectReadiness(200, 90_000);
    outage =
      `database down ${(downMs / 1000).toFixed(1)} s ` +
      `(stop ${(stopResult.durationMs / 1000).toFixed(1)} s, start+wait ${(startResult.durationMs / 1000).toFixed(1)} s), ` +
      `not ready after ${(notReadyAfterMs / 1000).toFixed(1)} s, ready again ${(readyAfterMs / 1000).toFixed(1)} s after ` +
      `the restart, ${committedWhenNotReady} committed before, ${acceptedDuringOutage} accepted meanwhile`;
    expect(committedLate).toBe(committedWhenNotReady);
  } finally {
    if (stopped || outage === '') {
      // Never leave the database down for the tiers after this one.
      if (stopped) await startLocalServer('ferretdb', port);
      if (outage === '') {
        loader.stop();
        await load.catch(() => undefined);
      }
    }
  }
  const result = await load;
  expect(result.accepted).toBe(EVENTS);

  await verifyScenario(run, { expectation: { tokens: events }, loads: [result], notes: [outage] });
});
