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
}

export class ProcessorLiveness {
  private probing: Promise<boolean> | undefined;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly options: ProcessorLivenessOptions,
  ) {}

  async check(batches: readonly (BatchInFlight | undefined)[], nowMs: number): Promise<LivenessVerdict> {
    const overdue = batches.filter(
      (b): b is BatchInFlight => b !== undefined && nowMs - b.sinceMs > this.options.stuckAfterMs,
    );
    if (overdue.length === 0) return { live: true };
    const described = overdue.map((b) => describe(b, nowMs)).join('; ');
    if (await this.databaseAnswers()) {
      return {
        live: false,
        reason: `stuck: ${described}, while MongoDB answers a new connection (a restart resumes from the last commit)`,
      };
    }
    return { live: true, detail: { waiting: `MongoDB does not answer; ${described}` } };
  }

  /** One probe at a time, however often liveness is asked. */
  private databaseAnswers(): Promise<boolean> {
    this.probing ??= this.database.answersNewConnection(this.options.probeTimeoutMs).finally(() => {
      this.probing = undefined;
    });
    return this.probing;
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
