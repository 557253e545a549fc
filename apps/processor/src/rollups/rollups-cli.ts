// `npm run rollups -- rebuild --from <RFC 3339> --to <RFC 3339> [--kind tokens|gpu|all] [--dry-run] [--force]`
// Recomputes rollup bucket documents from the raw events (rollup-rebuild.ts; README "Rebuilding
// rollups"). Reads the same MONGO_* / STORAGE_DIALECT variables as the processor, and KAFKA_* with
// PROCESSOR_GROUP_PREFIX to check that no processor is running and that no batch is left
// uncommitted (committed-offsets.ts).
import { Logger } from '@nestjs/common';
import {
  MongoConnection,
  type RollupKind,
  storageEnv,
  type StorageSettings,
  storageSettings,
} from '@tokenmeter/storage';
import {
  createKafka,
  type EnvSource,
  kafkaEnv,
  type KafkaSettings,
  kafkaSettings,
  readEnv,
} from '@tokenmeter/telemetry';
import { processorEnv } from '../config';
import { KafkaCommittedOffsets, type ProcessorGroups } from './committed-offsets';
import {
  alignToDays,
  type DayReport,
  MAX_REBUILD_DAYS,
  DAY_MS,
  type RebuildSummary,
  RollupRebuild,
  UncommittedBatchError,
  type TimeRange,
} from './rollup-rebuild';
import { FlagReader } from '../cli/flag-reader';

export const USAGE = `usage: npm run rollups -- rebuild --from <time> --to <time> [--kind tokens|gpu|all] [--dry-run] [--force]
  rebuild   recompute the rollup bucket documents of [from, to) from the stored raw events
            (token events and intervals for tokens, GPU samples for gpu). The range is widened
            to whole UTC days; slots outside it stay as stored. Stop the processors first, with
            SIGTERM. With KAFKA_BROKERS set it refuses, before writing anything, when a raw event or a
            watermark is at or past its processor group's committed offset (a batch left uncommitted
            by a processor that was killed): start the processors, let them catch up, stop them with
            SIGTERM, run again. Without KAFKA_BROKERS that cannot be checked.
  --from, --to   RFC 3339 date-times (2026-12-01T00:00:00Z) or UTC dates (2026-12-01); at most ${MAX_REBUILD_DAYS} days
  --kind         tokens, gpu or all (default all)
  --dry-run      compute and report what would be written, write nothing (the checks still refuse)
  --force        run even though a processor consumer group has active members
                 (never overrides the uncommitted-batch check)`;

export interface RollupsArgs {
  command: 'rebuild';
  range: TimeRange;
  kinds: RollupKind[];
  dryRun: boolean;
  force: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

function parseTime(flag: string, value: string): number {
  const ms = RFC3339.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(`${flag} ${value} is not an RFC 3339 date-time (e.g. 2026-12-01T00:00:00Z)\n${USAGE}`);
  return ms;
}

export function parseRollupsArgs(argv: readonly string[]): RollupsArgs {
  const [command, ...rest] = argv;
  if (command !== 'rebuild') throw new Error(USAGE);
  let fromMs: number | undefined;
  let toMs: number | undefined;
  let kinds: RollupKind[] = ['tokens', 'gpu'];
  let dryRun = false;
  let force = false;
  const flags = new FlagReader(rest, USAGE);
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    const value = (): string => flags.value(flag);
    switch (flag) {
      case '--from':
        fromMs = parseTime(flag, value());
        break;
      case '--to':
        toMs = parseTime(flag, value());
        break;
      case '--kind': {
        const kind = value();
        if (kind === 'all') kinds = ['tokens', 'gpu'];
        else if (kind === 'tokens' || kind === 'gpu') kinds = [kind];
        else throw new Error(`--kind must be tokens, gpu or all, not ${kind}\n${USAGE}`);
        break;
      }
      case '--dry-run':
        dryRun = true;
        break;
      case '--force':
        force = true;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (fromMs === undefined || toMs === undefined) throw new Error(`--from and --to are required\n${USAGE}`);
  if (fromMs >= toMs) throw new Error(`--from must be before --to\n${USAGE}`);
  const aligned = alignToDays({ fromMs, toMs });
  const days = (aligned.toMs - aligned.fromMs) / DAY_MS;
  if (days > MAX_REBUILD_DAYS) {
    throw new Error(`the range spans ${days} UTC days; rebuild at most ${MAX_REBUILD_DAYS} per run\n${USAGE}`);
  }
  return { command, range: { fromMs, toMs }, kinds, dryRun, force };
}

const groupCheckEnv = { ...kafkaEnv, PROCESSOR_GROUP_PREFIX: processorEnv.PROCESSOR_GROUP_PREFIX };

export interface RollupsConfig {
  mongo: StorageSettings;
  /** Absent when KAFKA_BROKERS is not set: the processors cannot be checked. */
  processorGroups?: { kafka: KafkaSettings; groupIds: string[]; groups: ProcessorGroups };
}

/** The CLI's configuration: the processor's storage variables, and its Kafka ones when KAFKA_BROKERS is set. */
export function rollupsConfig(source: EnvSource): RollupsConfig {
  const e = readEnv(storageEnv, source);
  const config: RollupsConfig = { mongo: storageSettings(e) };
  if ((source.KAFKA_BROKERS ?? '').trim() !== '') {
    const k = readEnv(groupCheckEnv, source);
    const kafka = kafkaSettings(k, 'rollups-cli');
    // The processor's consumer groups: <PROCESSOR_GROUP_PREFIX>.<topic> (consumer.service.ts); the
    // tokens topic carries token events and intervals.
    const group = (topic: string) => ({ topic, groupId: `${k.PROCESSOR_GROUP_PREFIX}.${topic}` });
    const groups: ProcessorGroups = { tokens: group(kafka.topics.tokens), gpu: group(kafka.topics.gpu) };
    config.processorGroups = { kafka, groupIds: [groups.tokens.groupId, groups.gpu.groupId], groups };
  }
  return config;
}

/** The groups among `described` that have members: a processor is consuming. */
export function activeGroups(described: readonly { groupId: string; members: readonly unknown[] }[]): string[] {
  return described.filter((g) => g.members.length > 0).map((g) => `${g.groupId} (${g.members.length} members)`);
}

async function describeProcessorGroups(groups: NonNullable<RollupsConfig['processorGroups']>): Promise<string[]> {
  const admin = createKafka(groups.kafka).admin();
  await admin.connect();
  try {
    const { groups: described } = await admin.describeGroups(groups.groupIds);
    return activeGroups(described);
  } finally {
    await admin.disconnect();
  }
}

const count = (n: number): string => n.toLocaleString('en-US');
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function dayLine(r: DayReport, dryRun: boolean): string {
  const rate = r.durationMs > 0 ? Math.round((r.events * 1000) / r.durationMs) : r.events;
  const written = dryRun ? 'documents to write' : 'documents';
  return `${day(r.dayMs)} ${r.kind}: ${count(r.events)} events → ${count(r.documents)} ${written} (${count(r.unchanged)} unchanged; ${count(rate)} events/s)`;
}

/** The warning for raw events whose offsets could not be checked, or undefined when there are none. */
export function withoutSourceWarning(s: RebuildSummary, checked: boolean): string | undefined {
  if (s.withoutSource === 0) return undefined;
  return (
    `warning: ${count(s.withoutSource)} raw events have no src (partition/offset)` +
    (checked ? ': they could not be checked against the committed offsets' : '') +
    ', and raise no watermark'
  );
}

export function summaryLine(s: RebuildSummary, dryRun: boolean): string {
  const rate = s.durationMs > 0 ? Math.round((s.events * 1000) / s.durationMs) : s.events;
  return (
    `${dryRun ? 'dry run, nothing written: would rebuild' : 'rebuilt'} ${day(s.range.fromMs)} … ${day(s.range.toMs - DAY_MS)}: ` +
    `${count(s.events)} events → ${count(s.documents)} documents ${dryRun ? 'to write' : 'written'}, ` +
    `${count(s.unchanged)} unchanged, in ${(s.durationMs / 1000).toFixed(1)} s (${count(rate)} events/s)`
  );
}

async function main(): Promise<void> {
  // The connection's info logs would interleave with the progress lines.
  Logger.overrideLogger(['error', 'warn']);
  const args = parseRollupsArgs(process.argv.slice(2));
  const config = rollupsConfig(process.env);
  if (config.processorGroups === undefined) {
    process.stderr.write(
      'warning: KAFKA_BROKERS is not set, so whether processors are running cannot be checked, and ' +
        'batches left uncommitted by a killed processor cannot be detected. Stop every processor with ' +
        'SIGTERM before a rebuild (each then commits the batch it stored): a running one would overwrite ' +
        'rebuilt documents, and after a killed one the rebuilt watermarks would not be exact.\n',
    );
  } else {
    const active = await describeProcessorGroups(config.processorGroups);
    if (active.length > 0 && !args.force) {
      throw new Error(
        `processors are running (consumer groups with members: ${active.join(', ')}). Stop every processor ` +
          'before a rebuild — they keep the documents they wrote in memory and would overwrite rebuilt ones — ' +
          'or pass --force if these members are not processors writing this database.',
      );
    }
    if (active.length > 0) process.stderr.write(`warning: --force: running despite ${active.join(', ')}\n`);
  }
  const aligned = alignToDays(args.range);
  process.stdout.write(
    `rebuilding ${args.kinds.join(' and ')} rollups over ${new Date(aligned.fromMs).toISOString()} … ` +
      `${new Date(aligned.toMs).toISOString()} (aligned to whole UTC days)${args.dryRun ? ', dry run' : ''}\n`,
  );
  const committed =
    config.processorGroups === undefined
      ? undefined
      : new KafkaCommittedOffsets(config.processorGroups.kafka, config.processorGroups.groups);
  const mongo = await MongoConnection.open(config.mongo);
  try {
    const summary = await new RollupRebuild(mongo).rebuild(
      args.range,
      { kinds: args.kinds, dryRun: args.dryRun, committed },
      (r) => process.stdout.write(`${dayLine(r, args.dryRun)}\n`),
    );
    const warning = withoutSourceWarning(summary, committed !== undefined);
    if (warning !== undefined) process.stderr.write(`${warning}\n`);
    process.stdout.write(`${summaryLine(summary, args.dryRun)}\n`);
  } catch (error) {
    if (error instanceof UncommittedBatchError && args.dryRun) {
      throw new Error(`dry run: the rebuild would refuse. ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    await committed?.close();
    await mongo.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
