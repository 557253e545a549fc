// A task repeated on an interval in the background: never two runs at once (a tick while one runs
// is skipped), a failed run reported and retried at the next tick, the timer never keeping the
// process alive, and `stop` waiting for a run in progress.
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs every `intervalMs` from now on; with `now`, once right away too. */
  start(intervalMs: number, options: { now?: boolean } = {}): void {
    if (options.now === true) this.tick();
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    this.running ??= this.run()
      .then(() => undefined)
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.running = undefined;
      });
  }
}
