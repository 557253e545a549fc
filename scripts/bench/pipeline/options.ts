/**
 * What `npm run bench` reads from its command line and environment, in one place: parsed and
 * checked once, before anything starts, with `--help`. The sizes of the phases follow from
 * `--scale`.
 */

/**
 * The processor's Node options, as a deployment sets them: the V8 heap capped to fit a 256 MiB
 * container. Without a cap V8 sizes the heap from the machine's memory (24 GiB here) and lets
 * garbage pile up to 400+ MB. The producer and the query API keep V8's defaults: the same cap
 * cut the producer's flat-out ingest by 40% (docs/PERFORMANCE.md#memory-settings).
 */
const DEFAULT_PROCESSOR_NODE_OPTIONS = '--max-old-space-size=160 --max-semi-space-size=8';

export const USAGE = `usage: npm run bench -- [--scale F] [--keep] [--processor-node-options '…']
       node -r @swc-node/register scripts/bench/pipeline/main.ts --redraw FILE

Measures the pipeline on the local Kafka and database next to the limits of the same servers and
writes bench/results/pipeline-latest.json and .svg (docs/PERFORMANCE.md).

  --scale F                     multiplies every phase's length and size (default 1; 0.2 is a smoke run)
  --keep                        leave the run's topics and databases
  --processor-node-options '…'  the processor's NODE_OPTIONS
                                (default '${DEFAULT_PROCESSOR_NODE_OPTIONS}')
  --redraw FILE                 only draw the chart of an earlier results file again (no servers)
  -h, --help                    print this help

Environment: KAFKA_BROKERS and MONGO_URL (scripts/bench/pipeline-bench.sh sets them);
KAFKA_VERSION names the broker in the results (default 4.4.0).`;

export interface BenchOptions {
  /** Multiplies every phase's length and size. */
  readonly scale: number;
  /** Leave the run's topics and databases. */
  readonly keep: boolean;
  readonly processorNodeOptions: string;
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  /** For the results' machine description. */
  readonly kafkaVersion: string;
}

export type ParsedBenchArgs =
  | { kind: 'help' }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'redraw'; file: string }
  | { kind: 'run'; options: BenchOptions };

const VALUE_FLAGS = ['--scale', '--processor-node-options', '--redraw'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

/** The arguments (`--flag value`; values may start with `-`, as Node options do) and environment. */
export function parseBenchArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedBenchArgs {
  const problems: string[] = [];
  const values = new Map<ValueFlag, string>();
  let keep = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--keep') {
      keep = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(arg)) {
      problems.push(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}"`);
      continue;
    }
    const value = argv[i + 1];
    i += 1;
    if (value === undefined || value === '') problems.push(`${arg} needs a value`);
    else values.set(arg as ValueFlag, value);
  }

  const redraw = values.get('--redraw');
  if (redraw !== undefined)
    return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'redraw', file: redraw };

  const scaleText = values.get('--scale') ?? '1';
  const scale = Number(scaleText);
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 10)) {
    problems.push(`--scale must be a number above 0 and at most 10 (got "${scaleText}")`);
  }
  const required = (name: string): string => {
    const value = env[name] ?? '';
    if (value === '') problems.push(`${name} must be set (scripts/bench/pipeline-bench.sh sets it)`);
    return value;
  };
  const options: BenchOptions = {
    scale,
    keep,
    processorNodeOptions: values.get('--processor-node-options') ?? DEFAULT_PROCESSOR_NODE_OPTIONS,
    kafkaBrokers: required('KAFKA_BROKERS'),
    mongoUrl: required('MONGO_URL'),
    kafkaVersion: env['KAFKA_VERSION'] || '4.4.0',
  };
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'run', options };
}

/** How long and how big each phase is at a scale. */
export interface BenchSizes {
  readonly ingestSeconds: number;
  readonly latencySeconds: number;
  readonly warmupSeconds: number;
  /** Records for Kafka's perf tools. */
  readonly ceilingEvents: number;
  /** Events the processors drain (and the DB ceiling inserts). */
  readonly backlogEvents: number;
}

export function benchSizes(scale: number): BenchSizes {
  return {
    ingestSeconds: Math.max(5, Math.round(20 * scale)),
    latencySeconds: Math.max(5, Math.round(30 * scale)),
    warmupSeconds: Math.max(2, Math.round(5 * scale)),
    ceilingEvents: Math.max(20_000, Math.round(300_000 * scale)),
    backlogEvents: Math.max(20_000, Math.round(150_000 * scale)),
  };
}
