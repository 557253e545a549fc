// Starts the built services (dist/) as real child processes for end-to-end tests, with their
// logs in .local/test-logs/, and stops them with SIGTERM like an orchestrator would.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expectEventually } from './eventually';

export type ServiceName = 'producer' | 'processor' | 'query-api';

const ROOT = path.resolve(__dirname, '..', '..');

export function entryPoint(name: ServiceName): string {
  return path.join(ROOT, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
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
  const entry = entryPoint(name);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`make build\` first`);
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const service: RunningService = { name, baseUrl: `http://127.0.0.1:${port}`, process: child, logFile, exitCode };
  await expectEventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`);
      const res = await fetch(`${service.baseUrl}/health/ready`);
      if (res.status !== 200) throw new Error(`${name} /health/ready answered ${res.status}: ${await res.text()}`);
    },
    { timeoutMs: 60_000, description: `${name} ready` },
  );
  return service;
}

export async function stopService(service: RunningService): Promise<number | null> {
  if (service.process.exitCode === null) service.process.kill('SIGTERM');
  return service.exitCode;
}

/** Free-ish ports per run: a base from the environment or a random block. */
export function portBlock(): { producer: number; processor: number; queryApi: number } {
  const base = 40_000 + Math.floor(Math.random() * 2_000) * 10;
  return { producer: base, processor: base + 1, queryApi: base + 2 };
}
