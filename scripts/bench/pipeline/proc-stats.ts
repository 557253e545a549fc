// CPU time and memory of a running service, read from Linux's /proc (the bench's only OS probe).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  cpuMs: number;
  rssMB: number;
  /** Highest resident set size so far (VmHWM): a peak no sampling can miss. */
  peakRssMB: number;
}

/** CPU ticks (utime + stime) from /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // Fields after the name start with field 3 (state); utime and stime are fields 14 and 15.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc/<pid>/stat');
  return utime + stime;
}

/** VmRSS and VmHWM (kB) from /proc/<pid>/status, in MB. */
export function parseProcStatus(text: string): { rssMB: number; peakRssMB: number } {
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (match === null) throw new Error(`no ${field} in /proc/<pid>/status`);
    return Number(match[1]);
  };
  return { rssMB: kb('VmRSS') / 1024, peakRssMB: kb('VmHWM') / 1024 };
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

export function processUsage(pid: number): ProcessUsage {
  const ticks = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { cpuMs: (ticks * 1000) / clockTicks(), ...parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8')) };
}
