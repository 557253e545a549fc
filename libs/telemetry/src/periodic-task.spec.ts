import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs on every tick, and once right away when asked', async () => {
    let runs = 0;
    const task = new PeriodicTask(
      () => Promise.resolve((runs += 1)),
      () => undefined,
    );
    task.start(1_000, { now: true });
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(runs).toBe(4);
    await task.stop();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(runs).toBe(4);
  });

  it('skips a tick while a run is in progress, and stop waits for that run', async () => {
    let release: () => void = () => undefined;
    let started = 0;
    let finished = false;
    const task = new PeriodicTask(
      () => {
        started += 1;
        return new Promise<void>((resolve) => {
          release = () => {
            finished = true;
            resolve();
          };
        });
      },
      () => undefined,
    );
    task.start(1_000);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(started).toBe(1);
    const stopped = task.stop();
    release();
    await stopped;
    expect(finished).toBe(true);
  });

  it('reports a failed run and runs again at the next tick', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new PeriodicTask(
      () => {
        runs += 1;
        return runs === 1 ? Promise.reject(new Error('down')) : Promise.resolve();
      },
      (error) => errors.push(error),
    );
    task.start(1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(runs).toBe(2);
    expect(errors).toEqual([new Error('down')]);
    await task.stop();
  });
});
