// One log line per trace per batch (SPEC §8): the producer tags every message of an ingest
// request with the request's traceparent, so `grep <traceparent>` over the logs follows the
// request from the producer's access line to the processor lines that stored its events.
// A line per trace, not per event, keeps the log volume proportional to requests.

export type TraceOutcome = 'stored' | 'duplicate' | 'dead_lettered';

export interface TracedMessage {
  traceparent: string;
  offset: number;
  outcome: TraceOutcome;
}

export interface TraceSummary {
  traceparent: string;
  /** Offsets of the trace's messages in this batch (a request's messages may interleave with others). */
  fromOffset: number;
  toOffset: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
}

/** Groups a batch's traced messages by traceparent, in order of first appearance. */
export function summarizeTraces(messages: readonly TracedMessage[]): TraceSummary[] {
  const byTrace = new Map<string, TraceSummary>();
  for (const m of messages) {
    let summary = byTrace.get(m.traceparent);
    if (summary === undefined) {
      summary = {
        traceparent: m.traceparent,
        fromOffset: m.offset,
        toOffset: m.offset,
        stored: 0,
        duplicates: 0,
        deadLettered: 0,
      };
      byTrace.set(m.traceparent, summary);
    }
    summary.fromOffset = Math.min(summary.fromOffset, m.offset);
    summary.toOffset = Math.max(summary.toOffset, m.offset);
    if (m.outcome === 'stored') summary.stored += 1;
    else if (m.outcome === 'duplicate') summary.duplicates += 1;
    else summary.deadLettered += 1;
  }
  return [...byTrace.values()];
}
