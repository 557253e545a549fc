// Fault (a): the processor is killed with SIGKILL at random moments, three times, while token
// events and GPU samples flow, and restarted each time. No shutdown hook runs: a batch can be cut
// after some raw inserts, after some rollup writes, or before its commit (docs/ARCHITECTURE.md,
// "What happens at each crash point"). Each restart replays from the last commit.
import { chunk, gpuTraffic, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { committedTotal, waitForCommitted } from '../support/fault-checker';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const KILLS = 3;
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('a-sigkill');

afterAll(() => run.close());

it(`stores ${EVENTS} events exactly once with exact rollups across ${KILLS} SIGKILLs of the processor (seed ${seed})`, async () => {
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const nowMs = Date.now();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs });
  const samples = gpuTraffic(random, { nowMs, nodes: 10, samplesPerGpu: 150 });
  run.expectedMessages.set(run.topics.tokens, EVENTS).set(run.topics.gpu, samples.length);

  // Paced so the load is still flowing during the first kills.
  const tokenLoader = run.loader('tokens', { maxEventsPerSecond: 3_000 });
  const gpuLoader = run.loader('gpus', { concurrency: 1, maxEventsPerSecond: 400 });
  const loads = Promise.all([
    tokenLoader.run(chunk(random, events, 500, 1_000)),
    gpuLoader.run(chunk(random, samples, 500, 1_000)),
  ]);

  // Kill points: random shares of the token stream, each plus a random delay of up to 1.5 s so
  // the kill lands anywhere inside a batch.
  const shares = Array.from({ length: KILLS }, (_, i) => (i + 0.2 + random() * 0.6) / (KILLS + 0.5));
  const kills: string[] = [];
  try {
    const admin = await run.connectAdmin();
    for (const share of shares) {
      await waitForCommitted(run, run.topics.tokens, Math.floor(share * EVENTS), {
        description: `reach ${(share * 100).toFixed(0)}% before a kill`,
      });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 1_500)));
      const at = await committedTotal(admin, run.groupOf(run.topics.tokens), run.topics.tokens);
      await run.killProcessor(0);
      const restartStarted = Date.now();
      await run.startProcessor(0);
      kills.push(`kill at ${at} committed, ready again after ${((Date.now() - restartStarted) / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    tokenLoader.stop();
    gpuLoader.stop();
    await loads.catch(() => undefined);
    throw error;
  }
  const [tokenLoad, gpuLoad] = await loads;
  expect(tokenLoad.accepted).toBe(EVENTS);
  expect(gpuLoad.accepted).toBe(samples.length);
  expect(kills).toHaveLength(KILLS);

  await verifyScenario(run, {
    expectation: { tokens: events, gpu: samples },
    loads: [tokenLoad, gpuLoad],
    notes: kills,
  });
});
