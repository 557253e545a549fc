/**
 * The command line of `npm run loadgen` (SPEC §5): its help text, and the arguments
 * (`--flag value` or `--flag=value`) turned into load options, or every problem with them.
 */
import { checkLoadOptions, DEFAULT_LOAD_OPTIONS, type LoadOptions } from './load-options';

export const USAGE = `usage: npm run loadgen -- --rate N --duration S [options]

Posts simulated token events (NDJSON) to a tokenmeter producer at N events/s for S seconds,
prints a progress line each second to stderr and a summary to stdout.
Exit code: 0 when every sent event was accepted, 1 otherwise, 2 for bad arguments.

  --rate N            token events per second (required)
  --duration S        seconds to run (required); Ctrl-C stops early and still prints the summary
  --target URL        producer base URL (default ${DEFAULT_LOAD_OPTIONS.target})
  --api-key K         sent as "authorization: Bearer K" (default: $TOKENMETER_API_KEY)
  --batch B           events per request (default ${DEFAULT_LOAD_OPTIONS.batchSize})
  --concurrency C     requests in flight at most (default ${DEFAULT_LOAD_OPTIONS.concurrency})
  --seed X            simulator seed (default: random, printed in the summary); the same seed
                      repeats the same eventIds, which the pipeline deduplicates
  --gpus              also post simulated GPU samples to /v1/gpus every 10 s (default off)
  --retry N           send events answered 429/503 or lost to a network error again, up to N
                      more times, after Retry-After (default 0: never)
  --timeout MS        request timeout in ms (default ${DEFAULT_LOAD_OPTIONS.requestTimeoutMs})
  --summary-json FILE also write the summary as JSON to FILE
  -h, --help          print this help`;

export type ParsedLoadArgs =
  | { kind: 'help' }
  | { kind: 'run'; options: LoadOptions; summaryJsonPath?: string }
  | { kind: 'invalid'; problems: string[] };

const VALUE_FLAGS = [
  '--rate',
  '--duration',
  '--target',
  '--api-key',
  '--batch',
  '--concurrency',
  '--seed',
  '--retry',
  '--timeout',
  '--summary-json',
] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/**
 * The CLI arguments (`--flag value` or `--flag=value`) as load options, or every problem with
 * them. `env` supplies TOKENMETER_API_KEY; `randomSeed` the seed when --seed is not given.
 */
export function parseLoadArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  randomSeed: () => number,
): ParsedLoadArgs {
  const problems: string[] = [];
  const values = new Map<ValueFlag, string>();
  let gpus = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--gpus') {
      gpus = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) {
      problems.push(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument "${arg}"`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i += 1;
      }
    }
    if (value === undefined || value === '') problems.push(`${flag} needs a value`);
    else values.set(flag as ValueFlag, value);
  }

  // A value that is not a number is reported here and replaced by the default, so that
  // checkLoadOptions (which names the limits) does not report it a second time.
  const number = (flag: ValueFlag, fallback: number): number => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() !== '' && Number.isFinite(n)) return n;
    problems.push(`${flag} must be a number (got "${text}")`);
    return fallback;
  };
  for (const required of ['--rate', '--duration'] as const) {
    if (!values.has(required) && !problems.includes(`${required} needs a value`))
      problems.push(`${required} is required`);
  }
  const apiKey = values.get('--api-key') ?? (env['TOKENMETER_API_KEY'] || undefined);
  const options: LoadOptions = {
    target: values.get('--target') ?? DEFAULT_LOAD_OPTIONS.target,
    ...(apiKey === undefined ? {} : { apiKey }),
    ratePerSecond: number('--rate', 1),
    durationSeconds: number('--duration', 1),
    batchSize: number('--batch', DEFAULT_LOAD_OPTIONS.batchSize),
    concurrency: number('--concurrency', DEFAULT_LOAD_OPTIONS.concurrency),
    seed: values.has('--seed') ? number('--seed', 0) : randomSeed(),
    gpus,
    gpuSampleIntervalMs: DEFAULT_LOAD_OPTIONS.gpuSampleIntervalMs,
    retryAttempts: number('--retry', DEFAULT_LOAD_OPTIONS.retryAttempts),
    requestTimeoutMs: number('--timeout', DEFAULT_LOAD_OPTIONS.requestTimeoutMs),
  };
  problems.push(...checkLoadOptions(options));
  if (problems.length > 0) return { kind: 'invalid', problems };
  const summaryJsonPath = values.get('--summary-json');
  return summaryJsonPath === undefined ? { kind: 'run', options } : { kind: 'run', options, summaryJsonPath };
}
