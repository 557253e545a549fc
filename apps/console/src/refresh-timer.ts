/**
 * Auto-refresh: the next run is scheduled only when the previous one has finished (runs never
 * overlap), and nothing runs while the page is hidden; on return a run that came due meanwhile
 * starts at once.
 */

export class RefreshTimer {
  private intervalMs: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastStart = 0;
  /** Only the completion of the latest run schedules the next one. */
  private generation = 0;
  private running = false;

  constructor(private readonly task: () => Promise<void>) {
    document.addEventListener('visibilitychange', () => this.onVisibility());
  }

  /** undefined turns auto-refresh off. */
  setInterval(intervalMs: number | undefined): void {
    this.intervalMs = intervalMs;
    if (!this.running) this.schedule();
  }

  /** Runs the task now (a control changed or the page opened), then keeps the rhythm. */
  runNow(): void {
    this.clear();
    const generation = ++this.generation;
    this.lastStart = Date.now();
    this.running = true;
    void this.task().finally(() => {
      if (generation !== this.generation) return;
      this.running = false;
      this.schedule();
    });
  }

  private schedule(): void {
    this.clear();
    if (this.intervalMs === undefined || document.hidden) return;
    const wait = Math.max(0, this.lastStart + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.runNow(), wait);
  }

  private onVisibility(): void {
    if (document.hidden) this.clear();
    else if (!this.running) this.schedule();
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export const REFRESH_INTERVAL_MS = { off: undefined, '30s': 30_000, '1m': 60_000, '5m': 300_000 } as const;
