// `--flag value` arguments of the processor's command-line tools (npm run dlq, npm run rollups).

/** Walks the arguments: `next()` gives the next flag, `value(flag)` the value that follows it. */
export class FlagReader {
  private index = 0;

  constructor(
    private readonly args: readonly string[],
    private readonly usage: string,
  ) {}

  next(): string | undefined {
    const flag = this.args[this.index];
    this.index += 1;
    return flag;
  }

  /** The value after `flag`; a missing one (or another flag) is an error that shows the usage. */
  value(flag: string): string {
    const v = this.args[this.index];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${this.usage}`);
    this.index += 1;
    return v;
  }
}
