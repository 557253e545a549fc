// Liveness of the processor (issue 15): a processor is STUCK when a batch has been in flight (its
// first attempt plus retries) for longer than PROCESSOR_STUCK_AFTER_MS while MongoDB answers a new
// connection: the database is fine, the process is not, and a restart helps. A processor whose
// batch waits because MongoDB does not answer is WAITING: it resumes by itself when the database
// is back, and restarting it would only add a rebalance.
import type { LivenessVerdict } from '@tokenmeter/telemetry';
import type { BatchInFlight } from './topic-consumer';

/** Whether the database answers, on a connection independent of the app's own pool. */
export interface DatabaseProbe {
  answersNewConnection(timeoutMs: number): Promise<boolean>;
}

export interface ProcessorLivenessOptions {
  stuckAfterMs: number;
  probeTimeoutMs: number;
  /** How long a probe's answer is used; past it, a new probe runs in the background. */
  probeMaxAgeMs: number;
}

export class ProcessorLiveness {
  private probing: Promise<void> | undefined;
  private lastProbe: { atMs: number; answers: boolean } | undefined;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly options: ProcessorLivenessOptions,
  ) {}

  /**
   * Answers at once: the database probe runs in the background and its latest answer is used, so
   * a probe of a database that hangs never makes the liveness request itself time out (which an
   * orchestrator would count as a failure, and restart a processor that only waits).
   */
  check(batches: readonly (BatchInFlight | undefined)[], nowMs: number): Promise<LivenessVerdict> {
    const overdue = batches.filter(
      (b): b is BatchInFlight => b !== undefined && nowMs - b.sinceMs > this.options.stuckAfterMs,
    );
    if (overdue.length === 0) return Promise.resolve({ live: true });
    const described = overdue.map((b) => describe(b, nowMs)).join('; ');
    const probe = this.lastProbe;
    if (probe === undefined || nowMs - probe.atMs > this.options.probeMaxAgeMs) {
      this.startProbe(nowMs);
      return Promise.resolve({ live: true, detail: { checking: `whether MongoDB answers; ${described}` } });
    }
    if (probe.answers) {
      return Promise.resolve({
        live: false,
        reason: `stuck: ${described}, while MongoDB answers a new connection (a restart resumes from the last commit)`,
      });
    }
    return Promise.resolve({ live: true, detail: { waiting: `MongoDB does not answer; ${described}` } });
  }

  /** Resolves when the probe in flight (if any) has answered. */
  async settled(): Promise<void> {
    await this.probing;
  }

  /** One probe at a time, however often liveness is asked. */
  private startProbe(startedMs: number): void {
    if (this.probing !== undefined) return;
    this.probing = this.database
      .answersNewConnection(this.options.probeTimeoutMs)
      .catch(() => false)
      .then((answers) => {
        // Stamped with its start: an answer is as old as the question.
        this.lastProbe = { atMs: startedMs, answers };
      })
      .finally(() => {
        this.probing = undefined;
      });
  }
}

function describe(batch: BatchInFlight, nowMs: number): string {
  const seconds = ((nowMs - batch.sinceMs) / 1000).toFixed(0);
  const failures =
    batch.failedAttempts === 0
      ? 'no attempt has finished'
      : `${batch.failedAttempts} failed attempts, last: ${batch.lastError ?? 'unknown error'}`;
  return `the batch from offset ${batch.firstOffset} of ${batch.topic}[${batch.partition}] has been in flight for ${seconds} s (${failures})`;
}
