// A counting semaphore for the update commands a process has in flight (MongoConnection.updateCommands).
/** A counting semaphore whose limit is read when a task asks (it comes from the dialect). */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: () => number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit()) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter (running stays the same), or is freed.
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}
