// The load generator as a library: what the command line (main.ts), the fault suite and the
// pipeline bench use.
export * from './load-options';
export * from './cli-args';
export { type LoadClock, systemClock } from './pacing';
export {
  classify,
  fetchPoster,
  type LoadStream,
  type PostFn,
  type PostResponse,
  type RequestOutcome,
} from './producer-api';
export { latencySummary, type LatencySummary, type LoadProgress, type StreamCounts } from './tally';
export type { LoadSummary } from './summary';
export { formatProgress, formatSummary } from './report';
export * from './run-load';
