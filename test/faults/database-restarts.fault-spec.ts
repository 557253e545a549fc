// Fault (h): the database is restarted five times in a row, each time at a chosen step of the
// processor's batch (while it inserts raw events, while it writes rollups, and once while it is
// idle between batches), as an operator's restart or a failover would land. After each restart the
// processor must be ready again within 15 s of the database answering, it must commit nothing while
// the database is away, and the end state must be exact (issue 15: a restart at the wrong moment
// once left the processor retrying a batch for good, with readiness down and liveness green).
import { chunk, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { committedTotal, waitForCommitted } from '../support/fault-checker';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { localServerPort, startLocalServer, stopLocalServer } from '../support/local-servers';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('h-db-restarts');
/** The steps the restarts land in, in order; the idle one comes after the first part of the load. */
const BUSY_STAGES = ['raw', 'rollups', 'raw', 'rollups'] as const;
const READY_WITHIN_MS = 15_000;

afterAll(() => run.close());

it(`stores ${EVENTS} events exactly once with exact rollups across five database restarts (seed ${seed})`, async () => {
  const port = localServerPort('ferretdb', run.mongoUrl);
  const random = seededRandom(seed);
  const topic = run.topics.tokens;
  await run.startProcessor(0);
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  run.expectedMessages.set(topic, EVENTS);
  const batches = chunk(random, events, 500, 1_000);
  const split = Math.floor(batches.length * 0.7);
  const firstPart = batches.slice(0, split);
  const firstEvents = firstPart.reduce((sum, b) => sum + b.length, 0);
  const admin = await run.connectAdmin();
  const group = run.groupOf(topic);
  const notes: string[] = [];
  let down = false;

  /** Stops the database, keeps it down 2-5 s, starts it; asserts no commit while it was away and readiness after. */
  const restart = async (where: string): Promise<void> => {
    down = true;
    const stopped = await stopLocalServer('ferretdb', port);
    // A batch whose writes all landed before the database went away may still be committing:
    // from the first failed write on (backoff), or while idle, nothing may be committed.
    const noticed = await run.waitForStage(topic, ['backoff', 'idle'], 30_000);
    const committedDown = await committedTotal(admin, group, topic);
    await new Promise((resolve) => setTimeout(resolve, 2_000 + random() * 3_000));
    const committedBeforeStart = await committedTotal(admin, group, topic);
    const started = await startLocalServer('ferretdb', port);
    down = false;
    const readyMs = await run.expectReadiness(200, READY_WITHIN_MS);
    expect(committedBeforeStart).toBe(committedDown);
    notes.push(
      `${where} (then ${noticed}): stop ${(stopped.durationMs / 1000).toFixed(1)} s, start+wait ${(started.durationMs / 1000).toFixed(1)} s, ` +
        `ready ${(readyMs / 1000).toFixed(1)} s after the database answered`,
    );
  };

  const firstLoader = run.loader('tokens', { maxEventsPerSecond: 2_000 });
  const firstLoad = firstLoader.run(firstPart);
  try {
    await waitForCommitted(run, topic, Math.floor(0.05 * EVENTS), { description: 'progress before the restarts' });
    for (const [i, stage] of BUSY_STAGES.entries()) {
      await run.waitForStage(topic, stage, 120_000);
      await restart(`restart ${i + 1} during ${stage === 'raw' ? 'the raw insert' : 'the rollup writes'}`);
    }
    const firstResult = await firstLoad;
    expect(firstResult.accepted).toBe(firstEvents);
    // Everything loaded so far is stored and committed: the processor waits for the next fetch.
    await waitForCommitted(run, topic, firstEvents, { description: 'the first part stored' });
    await run.waitForStage(topic, 'idle', 60_000);
    await restart('restart 5 while idle between batches');

    const secondLoader = run.loader('tokens', { maxEventsPerSecond: 2_000 });
    const secondResult = await secondLoader.run(batches.slice(split));
    expect(firstResult.accepted + secondResult.accepted).toBe(EVENTS);
    await verifyScenario(run, { expectation: { tokens: events }, loads: [firstResult, secondResult], notes });
  } finally {
    firstLoader.stop();
    await firstLoad.catch(() => undefined);
    // Never leave the database down for the tiers after this one.
    if (down) await startLocalServer('ferretdb', port);
  }
});
