/** The result of a run (printed by `formatSummary`, written by `--summary-json`, read by the bench). */
import type { LoadOptions } from './load-options';
import type { TokenSchedule } from './pacing';
import type { LoadProgress, LoadTally } from './tally';

export interface LoadSummary extends LoadProgress {
  target: string;
  seed: number;
  ratePerSecond: number;
  durationSeconds: number;
  startedAt: string;
  /** Token events due in the duration that were never sent: the target rate was not held. */
  behindSchedule: number;
  /** HTTP status (or "network") → requests, over every attempt. */
  statusCounts: Record<string, number>;
  /** Stopped by the signal before the duration was over. */
  aborted: boolean;
  /** Every sent event (tokens and GPU samples) was accepted. */
  ok: boolean;
}

/** The summary of a run that ended at `end`; `stopped` when the caller's signal stopped it. */
export function summarizeLoad(
  options: LoadOptions,
  schedule: TokenSchedule,
  tally: LoadTally,
  end: number,
  stopped: boolean,
): LoadSummary {
  const { start } = schedule;
  const final = tally.progress(start, end);
  // The rate is over the sending time: waiting for the last answers or retries is not sending.
  const sendingMs = Math.min(end - start, options.durationSeconds * 1000);
  return {
    ...final,
    achievedRatePerSecond: sendingMs > 0 ? final.tokens.sent / (sendingMs / 1000) : 0,
    target: options.target,
    seed: options.seed,
    ratePerSecond: options.ratePerSecond,
    durationSeconds: options.durationSeconds,
    startedAt: new Date(start).toISOString(),
    behindSchedule: stopped ? 0 : schedule.behind(),
    statusCounts: tally.statusCounts,
    aborted: stopped && end < schedule.endAt,
    ok: [final.tokens, final.gpus].every((c) => c.accepted === c.sent),
  };
}
