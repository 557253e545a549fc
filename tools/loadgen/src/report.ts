// What the command line prints: the progress line (once a second, on stderr) and the final report.
import type { LoadSummary } from './summary';
import type { LoadProgress, StreamCounts } from './tally';

export function formatProgress(p: LoadProgress): string {
  const t = p.tokens;
  const latency = p.latencyMs === null ? 'p50 - p99 -' : `p50 ${ms(p.latencyMs.p50)} p99 ${ms(p.latencyMs.p99)}`;
  const gpus = p.gpus.sent > 0 ? `  gpu ${p.gpus.accepted}/${p.gpus.sent}` : '';
  const pending = t.pending > 0 ? `  pending ${t.pending}` : '';
  return (
    `${(p.elapsedMs / 1000).toFixed(1)}s  sent ${t.sent}  accepted ${t.accepted}  rejected ${t.rejected}  ` +
    `503 ${t.unavailable}  429 ${t.throttled}  failed ${t.failed}${pending}  ${p.achievedRatePerSecond.toFixed(1)} ev/s  ` +
    `${latency}${gpus}`
  );
}

export function formatSummary(s: LoadSummary): string {
  const stream = (c: StreamCounts): string =>
    `sent ${c.sent}  accepted ${c.accepted}  rejected ${c.rejected}  throttled (429) ${c.throttled}  ` +
    `unavailable (503) ${c.unavailable}  failed ${c.failed}`;
  const statuses = Object.entries(s.statusCounts)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  const requests = s.tokens.requests + s.gpus.requests;
  const retries = s.tokens.retries + s.gpus.retries;
  const notAccepted = s.tokens.sent - s.tokens.accepted + (s.gpus.sent - s.gpus.accepted);
  const lines = [
    `tokenmeter loadgen: ${(s.elapsedMs / 1000).toFixed(1)} s against ${s.target} (seed ${s.seed})${s.aborted ? ', stopped early' : ''}`,
    `  token events  ${stream(s.tokens)}`,
    ...(s.gpus.sent > 0 ? [`  gpu samples   ${stream(s.gpus)}`] : []),
    `  requests      ${requests} (retries ${retries})  ${statuses}`,
    `  rate          ${s.achievedRatePerSecond.toFixed(1)} events/s of ${s.ratePerSecond} requested; ` +
      `${s.behindSchedule} events behind schedule (not sent)`,
    `  latency       ${s.latencyMs === null ? 'no answers' : `p50 ${ms(s.latencyMs.p50)}  p99 ${ms(s.latencyMs.p99)}  max ${ms(s.latencyMs.max)}`}`,
    `  result        ${s.ok ? 'every sent event was accepted' : `${notAccepted} sent events were not accepted`}`,
  ];
  return `${lines.join('\n')}\n`;
}

function ms(x: number): string {
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
}
