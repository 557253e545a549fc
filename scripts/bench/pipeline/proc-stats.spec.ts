import { parseProcStat, parseProcStatus, processUsage } from './proc-stats';

describe('parseProcStat', () => {
  it('adds utime and stime, even when the command name has spaces and parentheses', () => {
    const line =
      '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 12000 0 3 0 1530 270 0 0 20 0 11 0 9000 1200000000 50000 18446744073709551615';
    expect(parseProcStat(line)).toBe(1800);
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('nope')).toThrow('not a /proc/<pid>/stat line');
  });
});

describe('parseProcStatus', () => {
  it('reads the current and peak resident set in MB', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rssMB: 100, peakRssMB: 200 });
  });

  it('says which field is missing', () => {
    expect(() => parseProcStatus('VmRSS:\t1 kB\n')).toThrow('no VmHWM');
  });
});

describe('processUsage', () => {
  it('reads this very process', () => {
    const usage = processUsage(process.pid);
    expect(usage.cpuMs).toBeGreaterThan(0);
    expect(usage.peakRssMB).toBeGreaterThanOrEqual(usage.rssMB);
    expect(usage.rssMB).toBeGreaterThan(10);
  });
});
