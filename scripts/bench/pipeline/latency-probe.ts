// End-to-end latency probes for the bench: one event posted every `everyMs`, each timed from the
// moment its request was sent until the query API returns it. One poll loop reads the pending
// probes, and at most `maxPending` are out at once, so a pipeline that falls behind is measured,
// not buried under the probes' own reads (which would starve the processor they are timing).

export interface ProbeIo {
  /** Posts one event; resolves with its id when the producer accepted it (202), else undefined. */
  post(): Promise<string | undefined>;
  /** True when the query API returns the event, false while it does not; throws on any other answer. */
  readable(eventId: string): Promise<boolean>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface ProbeOptions {
  durationMs: number;
  everyMs: number;
  pollMs: number;
  maxPending: number;
  timeoutMs: number;
}

export interface ProbeOutcome {
  /** Sent → readable, for every probe that became readable. */
  latenciesMs: number[];
  /** Accepted but not readable within timeoutMs. */
  timedOut: number;
  /** Not accepted by the producer, or the request failed. */
  failed: number;
  /** Not sent because maxPending probes were still out. */
  skipped: number;
  /** Reads that failed (an error status, a refused connection): the probe stays pending. */
  readErrors: number;
}

interface Pending {
  eventId: string;
  sentAt: number;
}

export async function runLatencyProbes(io: ProbeIo, opts: ProbeOptions): Promise<ProbeOutcome> {
  const outcome: ProbeOutcome = { latenciesMs: [], timedOut: 0, failed: 0, skipped: 0, readErrors: 0 };
  const pending: Pending[] = [];
  let posting = 0;
  const start = io.now();
  let nextProbeAt = start;

  const send = async (): Promise<void> => {
    const sentAt = io.now();
    posting += 1;
    try {
      const eventId = await io.post();
      if (eventId === undefined) outcome.failed += 1;
      else pending.push({ eventId, sentAt });
    } catch {
      outcome.failed += 1;
    } finally {
      posting -= 1;
    }
  };

  const poll = async (): Promise<void> => {
    const checks = await Promise.all(
      pending.map(async (p) => {
        const found = await io.readable(p.eventId).catch(() => {
          outcome.readErrors += 1;
          return false;
        });
        return { p, found, at: io.now() };
      }),
    );
    for (const { p, found, at } of checks) {
      if (found) outcome.latenciesMs.push(at - p.sentAt);
      else if (at - p.sentAt < opts.timeoutMs) continue;
      else outcome.timedOut += 1;
      pending.splice(pending.indexOf(p), 1);
    }
  };

  const sends: Promise<void>[] = [];
  while (io.now() - start < opts.durationMs || pending.length > 0 || posting > 0) {
    const now = io.now();
    if (now - start < opts.durationMs && now >= nextProbeAt) {
      nextProbeAt += opts.everyMs;
      if (pending.length + posting < opts.maxPending) sends.push(send());
      else outcome.skipped += 1;
    }
    if (pending.length > 0) await poll();
    await io.sleep(opts.pollMs);
  }
  await Promise.all(sends);
  return outcome;
}
