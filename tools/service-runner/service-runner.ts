// Starts the built services (dist/) as real child processes, with their logs in the folder the
// caller names, waits until they are ready, and stops them with SIGTERM like an orchestrator
// would. Used by the end-to-end, browser and fault tiers (through test/support/services.ts) and
// by the pipeline bench (scripts/bench/pipeline).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expectEventually } from './eventually';

export type ServiceName = 'producer' | 'processor' | 'query-api';

const ROOT = path.resolve(__dirname, '..', '..');

export function entryPoint(name: ServiceName): string {
  return path.join(ROOT, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
}

/** The built service as a child process on 127.0.0.1:`port`, its output piped. */
function spawnService(name: ServiceName, port: number, env: Record<string, string>): ChildProcess {
  const entry = entryPoint(name);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`make build\` first`);
  return spawn(process.execPath, [entry], {
    env: { ...process.env, ...env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface RunningService {
  name: ServiceName;
  baseUrl: string;
  process: ChildProcess;
  logFile: string;
  exitCode: Promise<number | null>;
}

export async function startService(
  name: ServiceName,
  port: number,
  env: Record<string, string>,
  logDir: string,
): Promise<RunningService> {
  const child = spawnService(name, port, env);
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const service: RunningService = { name, baseUrl: `http://127.0.0.1:${port}`, process: child, logFile, exitCode };
  try {
    await expectEventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`);
        const res = await fetch(`${service.baseUrl}/health/ready`);
        if (res.status !== 200) throw new Error(`${name} /health/ready answered ${res.status}: ${await res.text()}`);
      },
      { timeoutMs: 60_000, description: `${name} ready` },
    );
  } catch (error) {
    // Never ready: stop it, or it outlives the test run (and keeps jest from exiting).
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  return service;
}

export async function stopService(service: RunningService): Promise<number | null> {
  if (service.process.exitCode === null) service.process.kill('SIGTERM');
  return service.exitCode;
}

export interface ExitedService {
  /** Null when the deadline passed and the process was killed. */
  code: number | null;
  output: string;
  durationMs: number;
}

/**
 * Runs a service that should fail at boot and resolves once it exits, with its stdout and
 * stderr; a service still running at the deadline is killed and resolves with code null.
 */
export function runUntilExit(
  name: ServiceName,
  port: number,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ExitedService> {
  const started = Date.now();
  const child = spawnService(name, port, env);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, durationMs: Date.now() - started });
    });
  });
}
