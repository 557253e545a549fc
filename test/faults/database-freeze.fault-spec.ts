// Fault (i): the database hangs instead of going away: FerretDB is frozen with SIGSTOP for 20 s
// mid-write, then thawed with SIGCONT. The kernel still accepts connections, nothing answers, so the
// processor's write simply waits. It must commit nothing while the database is frozen, keep
// liveness green (it waits; it is not stuck — here with PROCESSOR_STUCK_AFTER_MS at 5 s, so
// liveness does look at the batch and must find the database silent), be ready again within 15 s
// of the database answering, and end exact (issue 15).
import { MongoClient } from 'mongodb';
import { chunk, seededRandom, tokenSeries, tokenTraffic } from '../support/fault-events';
import { committedTotal, waitForCommitted } from '../support/fault-checker';
import { FaultRun } from '../support/fault-harness';
import { verifyScenario } from '../support/fault-scenario';
import { ferretdbPid, freezeProcess, localServerPort, thawProcess } from '../support/local-servers';

const EVENTS = Number(process.env.FAULT_EVENTS ?? 100_000);
const FROZEN_MS = 20_000;
const READY_WITHIN_MS = 15_000;
const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const run = new FaultRun('i-db-freeze');

afterAll(() => run.close());

/** Resolves once the database answers a ping on a new connection. */
async function databaseAnswers(url: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 1 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

it(`stores ${EVENTS} events exactly once with exact rollups across a 20 s database freeze (seed ${seed})`, async () => {
  localServerPort('ferretdb', run.mongoUrl);
  const pid = ferretdbPid();
  const random = seededRandom(seed);
  const topic = run.topics.tokens;
  await run.startProcessor(0, { PROCESSOR_STUCK_AFTER_MS: '5000' });
  await run.startProducer();
  const events = tokenTraffic(random, tokenSeries(random), { count: EVENTS, nowMs: Date.now() });
  run.expectedMessages.set(topic, EVENTS);
  const loader = run.loader('tokens', { maxEventsPerSecond: 2_500 });
  const load = loader.run(chunk(random, events, 500, 1_000));
  const admin = await run.connectAdmin();
  const group = run.groupOf(topic);

  let frozen = false;
  let note = '';
  try {
    await waitForCommitted(run, topic, Math.floor((0.15 + random() * 0.2) * EVENTS), {
      description: 'progress before the freeze',
    });
    const stage = await run.waitForStage(topic, ['raw', 'rollups'], 120_000);
    freezeProcess(pid);
    frozen = true;
    const frozenAt = Date.now();
    // A commit already on its way when the database froze may still land; after that, none.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const committedFrozen = await committedTotal(admin, group, topic);
    const liveness: { status: number; body: string }[] = [];
    while (Date.now() - frozenAt < FROZEN_MS - 1_000) {
      liveness.push(await run.liveness());
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const committedLate = await committedTotal(admin, group, topic);
    const readinessFrozen = await run.readiness();
    thawProcess(pid);
    frozen = false;
    await databaseAnswers(run.mongoUrl);
    const readyMs = await run.expectReadiness(200, READY_WITHIN_MS);

    expect(committedLate).toBe(committedFrozen);
    // Waiting, not stuck: every liveness answer during the freeze was 200.
    expect(liveness.length).toBeGreaterThan(10);
    expect(liveness.filter((answer) => answer.status !== 200)).toEqual([]);
    // Liveness did look: the batch outlived PROCESSOR_STUCK_AFTER_MS, and the probe found MongoDB silent.
    expect(
      liveness.some((answer) => answer.body.includes('"waiting":"MongoDB does not answer; the batch from offset')),
    ).toBe(true);
    note =
      `frozen ${((Date.now() - frozenAt) / 1000).toFixed(1)} s during ${stage}, liveness 200 ×${liveness.length}, ` +
      `readiness ${readinessFrozen} while frozen, ready ${(readyMs / 1000).toFixed(1)} s after the database answered, ` +
      `${committedFrozen} committed before`;
  } finally {
    // Never leave the database frozen for the tiers after this one.
    if (frozen) thawProcess(pid);
    if (note === '') {
      loader.stop();
      await load.catch(() => undefined);
    }
  }
  const result = await load;
  expect(result.accepted).toBe(EVENTS);
  await verifyScenario(run, { expectation: { tokens: events }, loads: [result], notes: [note] });
});
