// Fault (b): the Kafka broker is restarted mid-run (scripts/dev/kafka.sh stop, then start + wait).
// While it is away the producer answers 503 and the loader retries each whole request until it is
// accepted (the client contract of SPEC §5); a retried request may have been written in part, which
// the eventId makes harmless. The processor's consumers reconnect by themselves.
import { chunk, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { expectEventually } from '../support/eventually';
import { localServerPort, startLocalServer, stopLocalServer } from '../support/local-servers';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('b-broker-restart');

afterAll(() => run.close());

it(`stores ${EVENTS} events exactly once with exact rollups across a broker restart (seed ${seed})`, async () => {
  const port = localServerPort('kafka', run.kafkaBrokers);
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  run.expectedMessages.set(run.topics.tokens, EVENTS);
  const loader = run.loader('tokens', { maxEventsPerSecond: 4_000 });
  const load = loader.run(chunk(random, events, 500, 1_000));

  const restartAt = Math.floor((0.25 + random() * 0.25) * EVENTS);
  let restart = '';
  try {
    await expectEventually(() => Promise.resolve(expect(loader.accepted).toBeGreaterThanOrEqual(restartAt)), {
      timeoutMs: 120_000,
      description: `${restartAt} events accepted before the restart`,
    });
    const at = loader.accepted;
    const stopped = await stopLocalServer('kafka', port);
    const started = await startLocalServer('kafka', port);
    restart =
      `broker restarted at ${at} accepted (stop ${(stopped.durationMs / 1000).toFixed(1)} s, ` +
      `start+wait ${(started.durationMs / 1000).toFixed(1)} s)`;
  } finally {
    if (restart === '') {
      // Never leave the broker down for the tiers after this one.
      loader.stop();
      await load.catch(() => undefined);
      await startLocalServer('kafka', port);
    }
  }
  const result = await load;
  expect(result.accepted).toBe(EVENTS);
  // The restart was felt: some requests were refused (503) or failed to connect, and retried.
  expect(result.retries).toBeGreaterThan(0);

  await verifyScenario(run, { expectation: { tokens: events }, loads: [result], notes: [restart] });
});
