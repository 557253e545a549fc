// Fault (d): processors are scaled 1 → 3 → 1 mid-run. Two more processes join the same consumer
// groups (a rebalance hands them partitions, which they start from the last commit), share the
// work, and are later stopped with SIGTERM like a scale-in (graceful: finish and commit the batch
// in flight, leave the group). One series is written by one consumer at a time throughout.
import { chunk, gpuTraffic, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { committedTotal, waitForCommitted } from '../support/fault-checker';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('d-scale');

afterAll(() => run.close());

it(`stores ${EVENTS} events exactly once with exact rollups while processors scale 1 → 3 → 1 (seed ${seed})`, async () => {
  const random = seededRandom(seed);
  await run.startProcessor(0);
  await run.startProducer();
  const nowMs = Date.now();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs });
  const samples = gpuTraffic(random, { nowMs, nodes: 6, samplesPerGpu: 150 });
  run.expectedMessages.set(run.topics.tokens, EVENTS).set(run.topics.gpu, samples.length);
  const tokenLoader = run.loader('tokens', { maxEventsPerSecond: 3_000 });
  const gpuLoader = run.loader('gpus', { concurrency: 1, maxEventsPerSecond: 300 });
  const loads = Promise.all([
    tokenLoader.run(chunk(random, events, 500, 1_000)),
    gpuLoader.run(chunk(random, samples, 500, 1_000)),
  ]);

  const notes: string[] = [];
  try {
    const admin = await run.connectAdmin();
    const progress = () => committedTotal(admin, run.groupOf(run.topics.tokens), run.topics.tokens);
    const outAt = Math.floor((0.1 + random() * 0.15) * EVENTS);
    await waitForCommitted(run, run.topics.tokens, outAt, {
      description: 'progress before scaling out',
    });
    const scaleOut = Date.now();
    await Promise.all([run.startProcessor(1), run.startProcessor(2)]);
    notes.push(
      `scaled out at ${await progress()} committed (+2 ready in ${((Date.now() - scaleOut) / 1000).toFixed(1)} s)`,
    );

    const inAt = Math.min(EVENTS - 1, (await progress()) + Math.floor((0.2 + random() * 0.15) * EVENTS));
    await waitForCommitted(run, run.topics.tokens, inAt, {
      description: 'progress with three processors',
    });
    // The new processors took a share of the work before they go.
    const consumed = await Promise.all(
      [1, 2].map((slot) =>
        run.metric('tokenmeter_processor_events_total', { topic: run.topics.tokens, outcome: 'consumed' }, slot),
      ),
    );
    const at = await progress();
    const codes = await Promise.all([run.stopProcessor(1), run.stopProcessor(2)]);
    notes.push(
      `scaled in at ${at} committed (slots 1 and 2 consumed ${consumed.join(' and ')} events, exit ${codes.join(',')})`,
    );
    expect(codes).toEqual([0, 0]);
    expect(consumed.every((n) => n > 0)).toBe(true);
  } catch (error) {
    tokenLoader.stop();
    gpuLoader.stop();
    await loads.catch(() => undefined);
    throw error;
  }
  const [tokenLoad, gpuLoad] = await loads;
  expect(tokenLoad.accepted).toBe(EVENTS);
  expect(gpuLoad.accepted).toBe(samples.length);

  await verifyScenario(run, { expectation: { tokens: events, gpu: samples }, loads: [tokenLoad, gpuLoad], notes });
});
