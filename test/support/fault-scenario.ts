// The common ending of every fault scenario: wait until the pipeline has drained, run the
// checker, print the one-line summary, and assert zero differences (issue 3, "Done when").
import { checkScenario, differenceCounts, type CheckReport, type Expectation, waitUntilDrained } from './fault-checker';
import type { FaultRun } from './fault-harness';
import type { LoadReport } from './http-loader';

export interface ScenarioOutcome {
  expectation: Expectation;
  loads: LoadReport[];
  /** Extra facts for the summary line (kills, outage length, ...). */
  notes?: string[];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function verifyScenario(run: FaultRun, outcome: ScenarioOutcome): Promise<CheckReport> {
  const { expectation, loads } = outcome;
  const loadedMs = Date.now() - run.startedMs;
  const topics = [run.topics.tokens, ...(expectation.gpu === undefined ? [] : [run.topics.gpu])];
  const drainMs = await waitUntilDrained(run, topics);
  const report = await checkScenario(run, expectation);
  const sent = loads.reduce((sum, l) => sum + l.events, 0) + (expectation.poison ?? 0);
  const accepted = loads.reduce((sum, l) => sum + l.accepted, 0);
  const retries = loads.reduce((sum, l) => sum + l.retries, 0);
  const outcomes = loads.flatMap((l) => Object.entries(l.outcomes).map(([k, v]) => `${k}×${v}`)).join(' ');
  run.summary(
    [
      `sent ${sent} (${expectation.tokens.length} distinct token events` +
        `${expectation.gpu === undefined ? '' : `, ${expectation.gpu.length} GPU samples`}` +
        `${expectation.poison === undefined ? '' : `, ${expectation.poison} poison`})`,
      `accepted ${accepted} (${retries} retried requests: ${outcomes})`,
      `stored ${report.storedTokens}${expectation.gpu === undefined ? '' : ` + ${report.storedGpu} GPU`} ` +
        `(${report.sampled} compared field by field)`,
      `duplicate messages rejected ${report.duplicatesRejected}`,
      `DLQ letters ${report.dlqLetters} (${report.dlqDuplicateLetters} repeated)`,
      `rollup buckets checked ${report.rollupDocs.tokens} tokens (${report.rollupDocs.tokens1m} 1m + ` +
        `${report.rollupDocs.tokens1h} 1h + ${report.rollupDocs.tokens1d} 1d) + ${report.rollupDocs.gpu} GPU`,
      `differences ${report.differences.length}`,
      ...(outcome.notes ?? []),
      `run ${seconds(Date.now() - run.startedMs)} (load+faults ${seconds(loadedMs)}, drain ${seconds(drainMs)}, ` +
        `check ${seconds(report.checkMs)}: raw ${seconds(report.timings.raw ?? 0)} ∥ rollups ${seconds(report.timings.rollups ?? 0)}, DLQ ${seconds(report.timings.dlq ?? 0)})`,
    ].join(' | '),
  );

  expect(differenceCounts(report)).toEqual({});
  expect(report.storedTokens).toBe(expectation.tokens.length);
  expect(report.storedGpu).toBe(expectation.gpu?.length ?? 0);
  expect(report.rollupDocs.tokens).toBe(
    report.rollupDocs.tokens1m + report.rollupDocs.tokens1h + report.rollupDocs.tokens1d,
  );
  expect(report.dlqLetters - report.dlqDuplicateLetters).toBe(expectation.poison ?? 0);
  return report;
}
