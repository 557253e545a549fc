/**
 * `npm run loadgen -- --rate N --duration S [...]` (SPEC §5): the command-line entry of the load
 * generator (run-load.ts); `--help` lists the options. The first Ctrl-C (or SIGTERM) stops
 * sending and prints the summary once the requests in flight are answered; a second one quits.
 */
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { parseLoadArgs, USAGE } from './cli-args';
import { formatProgress, formatSummary } from './report';
import { runLoad } from './run-load';

async function main(): Promise<number> {
  const args = parseLoadArgs(process.argv.slice(2), process.env, () => randomInt(1, 2 ** 31));
  if (args.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.kind === 'invalid') {
    for (const problem of args.problems) process.stderr.write(`loadgen: ${problem}\n`);
    process.stderr.write('loadgen: run `npm run loadgen -- --help` for the options\n');
    return 2;
  }

  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    process.stderr.write('\nloadgen: stopping, waiting for the requests in flight (again to quit now)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = process.stderr.isTTY;
  let progressShown = false;
  const summary = await runLoad(args.options, {
    signal: stop.signal,
    onProgress: (progress) => {
      progressShown = true;
      // On a terminal one line is rewritten in place; in a log file there is one line per second.
      process.stderr.write(tty ? `\r${formatProgress(progress)}\x1b[K` : `${formatProgress(progress)}\n`);
    },
  });
  if (tty && progressShown) process.stderr.write('\n');
  process.stdout.write(formatSummary(summary));
  if (args.summaryJsonPath !== undefined) {
    writeFileSync(args.summaryJsonPath, `${JSON.stringify(summary, null, 2)}\n`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`loadgen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
