import { type ProbeIo, runLatencyProbes } from './latency-probe';

/** A fake pipeline on a virtual clock: each event becomes readable `delayMs` after it is posted. */
function fakeIo(delayFor: (n: number) => number | undefined, accept: (n: number) => boolean = () => true) {
  let clock = 0;
  let posted = 0;
  const readableAt = new Map<string, number>();
  const reads: { id: string; at: number }[] = [];
  const io: ProbeIo = {
    post: () => {
      const n = posted++;
      if (!accept(n)) return Promise.resolve(undefined);
      const id = `e${n}`;
      const delay = delayFor(n);
      if (delay !== undefined) readableAt.set(id, clock + delay);
      return Promise.resolve(id);
    },
    readable: (id) => {
      reads.push({ id, at: clock });
      const at = readableAt.get(id);
      return Promise.resolve(at !== undefined && clock >= at);
    },
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
  };
  return { io, reads, posted: () => posted };
}

const OPTS = { durationMs: 1_000, everyMs: 100, pollMs: 10, maxPending: 4, timeoutMs: 500 };

describe('runLatencyProbes', () => {
  it('times every probe from send to readable, to the poll interval', async () => {
    const { io } = fakeIo(() => 35);
    const outcome = await runLatencyProbes(io, OPTS);
    expect(outcome.latenciesMs).toHaveLength(10);
    expect(outcome.latenciesMs.every((l) => l >= 35 && l < 35 + OPTS.pollMs)).toBe(true);
    expect(outcome).toMatchObject({ timedOut: 0, failed: 0, skipped: 0, readErrors: 0 });
  });

  it('counts probes that never become readable, and keeps at most maxPending out', async () => {
    // The first six events are lost: they fill the four pending slots until they time out.
    const { io, reads, posted } = fakeIo((n) => (n < 6 ? undefined : 20));
    const outcome = await runLatencyProbes(io, OPTS);
    expect(outcome.timedOut).toBe(6);
    expect(outcome.skipped).toBeGreaterThan(0);
    expect(outcome.latenciesMs.length + outcome.timedOut).toBe(posted());
    expect(posted() + outcome.skipped).toBe(10);
    // No poll read more than maxPending probes (bounded load on the query API).
    const perPoll = new Map<number, number>();
    for (const r of reads) perPoll.set(r.at, (perPoll.get(r.at) ?? 0) + 1);
    expect(Math.max(...perPoll.values())).toBe(OPTS.maxPending);
  });

  it('counts refused posts as failed, not as latencies', async () => {
    const { io } = fakeIo(
      () => 10,
      (n) => n !== 3,
    );
    const outcome = await runLatencyProbes(io, OPTS);
    expect(outcome.failed).toBe(1);
    expect(outcome.latenciesMs).toHaveLength(9);
  });

  it('counts failed reads (a throttled query API) and keeps polling the probe', async () => {
    const { io } = fakeIo(() => 30);
    let reads = 0;
    const readable = io.readable.bind(io);
    io.readable = (id) => (++reads % 3 === 0 ? Promise.reject(new Error('query API answered 429')) : readable(id));
    const outcome = await runLatencyProbes(io, OPTS);
    expect(outcome.readErrors).toBeGreaterThan(0);
    expect(outcome.latenciesMs).toHaveLength(10);
  });
});
