// `npm run dlq -- list|replay [--error-class C] [--original-topic T] [--limit N] [--json] [--dry-run]`
// Reads the same KAFKA_* variables as the processor.
import { createKafka, kafkaEnv, kafkaSettings, readEnv } from '@tokenmeter/telemetry';
import { type LetterFilter, matches, readDeadLetters, replayDeadLetters } from './dlq-tool';
import { FlagReader } from '../cli/flag-reader';

const USAGE = `usage: npm run dlq -- <list|replay> [--error-class CLASS] [--original-topic TOPIC] [--limit N] [--json] [--dry-run]
  list     print the dead letters (original topic/partition/offset, error class, error message)
  replay   send the chosen letters back to their original topics (the processor validates them again)`;

export interface DlqArgs {
  command: 'list' | 'replay';
  filter: LetterFilter;
  limit: number;
  json: boolean;
  dryRun: boolean;
}

export function parseDlqArgs(argv: readonly string[]): DlqArgs {
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'replay') throw new Error(USAGE);
  const args: DlqArgs = { command, filter: {}, limit: Number.MAX_SAFE_INTEGER, json: false, dryRun: false };
  const flags = new FlagReader(rest, USAGE);
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    const value = (): string => flags.value(flag);
    switch (flag) {
      case '--error-class':
        args.filter.errorClass = value();
        break;
      case '--original-topic':
        args.filter.originalTopic = value();
        break;
      case '--limit': {
        const n = Number(value());
        if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--limit must be a positive integer\n${USAGE}`);
        args.limit = n;
        break;
      }
      case '--json':
        args.json = true;
        break;
      case '--dry-run':
        args.dryRun = true;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseDlqArgs(process.argv.slice(2));
  const settings = kafkaSettings(readEnv(kafkaEnv, process.env), 'dlq-tool');
  const kafka = createKafka(settings);
  const letters = (await readDeadLetters(kafka, settings.topics.dlq))
    .filter((l) => matches(l, args.filter))
    .slice(0, args.limit);
  if (args.command === 'list') {
    for (const l of letters) {
      const line = {
        dlq: `${l.partition}/${l.offset}`,
        original: `${l.originalTopic}/${l.originalPartition}/${l.originalOffset}`,
        errorClass: l.errorClass,
        errorMessage: l.errorMessage,
      };
      process.stdout.write(
        args.json
          ? `${JSON.stringify(line)}\n`
          : `${line.dlq}\t${line.original}\t${line.errorClass}\t${line.errorMessage.slice(0, 200)}\n`,
      );
    }
    const byClass = new Map<string, number>();
    for (const l of letters) byClass.set(l.errorClass, (byClass.get(l.errorClass) ?? 0) + 1);
    process.stderr.write(`${letters.length} dead letters${[...byClass].map(([c, n]) => `; ${c}: ${n}`).join('')}\n`);
    return;
  }
  if (args.dryRun) {
    process.stderr.write(`would replay ${letters.length} dead letters (dry run)\n`);
    return;
  }
  const sent = await replayDeadLetters(kafka, settings.topics.dlq, letters);
  process.stderr.write(
    `replayed ${Object.values(sent).reduce((a, b) => a + b, 0)} dead letters: ${JSON.stringify(sent)}\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
