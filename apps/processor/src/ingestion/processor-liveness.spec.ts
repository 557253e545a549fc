import { type DatabaseProbe, ProcessorLiveness } from './processor-liveness';
import type { BatchInFlight } from './topic-consumer';

class FakeDatabase implements DatabaseProbe {
  probes = 0;
  constructor(public answers: boolean) {}
  answersNewConnection(): Promise<boolean> {
    this.probes += 1;
    return Promise.resolve(this.answers);
  }
}

const NOW = 1_000_000;

function batch(overrides: Partial<BatchInFlight> = {}): BatchInFlight {
  return {
    topic: 'telemetry.tokens.v1',
    partition: 0,
    firstOffset: '7714',
    sinceMs: NOW - 1_000,
    failedAttempts: 0,
    ...overrides,
  };
}

function liveness(database: DatabaseProbe): ProcessorLiveness {
  return new ProcessorLiveness(database, { stuckAfterMs: 60_000, probeTimeoutMs: 1_000, probeMaxAgeMs: 15_000 });
}

/** The verdict once the background probe has answered: the first overdue check starts it. */
async function verdictAfterProbe(checker: ProcessorLiveness, batches: BatchInFlight[], nowMs = NOW) {
  const first = await checker.check(batches, nowMs);
  expect(first.live && first.detail?.checking).toMatch(/^whether MongoDB answers; the batch from offset/);
  await checker.settled();
  return checker.check(batches, nowMs);
}

describe('ProcessorLiveness', () => {
  it('is live between batches and during a batch younger than the limit, without probing the database', async () => {
    const database = new FakeDatabase(true);
    expect(await liveness(database).check([undefined, batch({ sinceMs: NOW - 60_000 })], NOW)).toEqual({ live: true });
    expect(database.probes).toBe(0);
  });

  it('is stuck when a batch is in flight past the limit while the database answers', async () => {
    const verdict = await verdictAfterProbe(liveness(new FakeDatabase(true)), [
      batch({
        sinceMs: NOW - 95_000,
        failedAttempts: 14,
        lastError: 'storing a batch failed: connection 4 to 127.0.0.1:27018 closed',
      }),
    ]);
    expect(verdict.live).toBe(false);
    expect(verdict.live === false && verdict.reason).toBe(
      'stuck: the batch from offset 7714 of telemetry.tokens.v1[0] has been in flight for 95 s ' +
        '(14 failed attempts, last: storing a batch failed: connection 4 to 127.0.0.1:27018 closed), ' +
        'while MongoDB answers a new connection (a restart resumes from the last commit)',
    );
  });

  it('names a batch whose write never returned (a hang, no failed attempt)', async () => {
    const verdict = await verdictAfterProbe(liveness(new FakeDatabase(true)), [batch({ sinceMs: NOW - 61_000 })]);
    expect(verdict.live === false && verdict.reason).toContain('in flight for 61 s (no attempt has finished)');
  });

  it('is live, and says it waits, when the database does not answer', async () => {
    const verdict = await verdictAfterProbe(liveness(new FakeDatabase(false)), [batch({ sinceMs: NOW - 600_000 })]);
    expect(verdict.live).toBe(true);
    expect(verdict.live && verdict.detail?.waiting).toMatch(/^MongoDB does not answer; the batch from offset 7714/);
  });

  it('probes once at a time, reuses an answer while it is fresh, and asks again once it is old', async () => {
    const database = new FakeDatabase(true);
    const checker = liveness(database);
    const old = [batch({ sinceMs: NOW - 120_000 })];
    await Promise.all([checker.check(old, NOW), checker.check(old, NOW), checker.check(old, NOW)]);
    await checker.settled();
    expect(database.probes).toBe(1);
    expect((await checker.check(old, NOW + 15_000)).live).toBe(false);
    expect(database.probes).toBe(1);
    // The database went away: an old "answers" is not trusted, a new probe decides.
    database.answers = false;
    expect((await checker.check(old, NOW + 15_001)).live).toBe(true);
    await checker.settled();
    expect(database.probes).toBe(2);
    const waiting = await checker.check(old, NOW + 15_002);
    expect(waiting.live && waiting.detail?.waiting).toMatch(/^MongoDB does not answer; /);
  });
});
