// Stops and starts the local Kafka broker and FerretDB (scripts/dev/kafka.sh, ferretdb.sh) for
// the fault-injection suite. The scripts run as child processes without blocking the event
// loop, so the load keeps flowing while a server goes down and comes back.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPTS = { kafka: 'kafka.sh', ferretdb: 'ferretdb.sh' } as const;

export type LocalServer = keyof typeof SCRIPTS;

export interface ScriptResult {
  code: number | null;
  output: string;
  durationMs: number;
}

/** Runs `scripts/dev/<server>.sh <command>` with a deadline; resolves with its exit code and output. */
export function runServerScript(
  server: LocalServer,
  command: 'start' | 'stop' | 'wait' | 'status',
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<ScriptResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'scripts', 'dev', SCRIPTS[server]), [command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim(), durationMs: Date.now() - started });
    });
  });
}

function readState(relative: string): string | undefined {
  try {
    return readFileSync(path.join(ROOT, '.local', relative), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The port the local server listens on, when the suite's servers are the local ones (the
 * fault scenarios can only stop and start those); otherwise an error that says why.
 */
export function localServerPort(server: LocalServer, configured: string): string {
  if (server === 'kafka') {
    const address = readState('kafka/kafka.running')?.split(/\s+/)[1];
    if (address === undefined || address !== configured) {
      throw new Error(
        `KAFKA_BROKERS=${configured} is not the local broker of scripts/dev/kafka.sh (${address ?? 'not running'}); ` +
          'this fault scenario restarts the broker and needs the local one',
      );
    }
    return address.split(':')[1] ?? '';
  }
  const port = readState('ferretdb/ferretdb.port');
  const configuredPort = new URL(configured).port;
  if (port === undefined || port !== configuredPort || !/^mongodb:\/\/127\.0\.0\.1:/.test(configured)) {
    throw new Error(
      `MONGO_URL is not the local FerretDB of scripts/dev/ferretdb.sh (port ${port ?? 'not running'}); ` +
        'this fault scenario stops the database and needs the local one',
    );
  }
  return port;
}

function portEnv(server: LocalServer, port: string): Record<string, string> {
  return server === 'kafka' ? { KAFKA_PORT: port } : { FERRETDB_PORT: port };
}

export async function stopLocalServer(server: LocalServer, port: string): Promise<ScriptResult> {
  const result = await runServerScript(server, 'stop', portEnv(server, port));
  if (result.code !== 0) throw new Error(`${server}.sh stop failed (${result.code}):\n${result.output}`);
  return result;
}

/** Starts the server (a no-op when it runs) and waits until it answers. */
export async function startLocalServer(server: LocalServer, port: string): Promise<ScriptResult> {
  const started = Date.now();
  const start = await runServerScript(server, 'start', portEnv(server, port));
  if (start.code !== 0) throw new Error(`${server}.sh start failed (${start.code}):\n${start.output}`);
  const wait = await runServerScript(server, 'wait', portEnv(server, port));
  if (wait.code !== 0) throw new Error(`${server}.sh wait failed (${wait.code}):\n${wait.output}`);
  return { code: 0, output: `${start.output}\n${wait.output}`, durationMs: Date.now() - started };
}

/** The pid of the local FerretDB, for the scenarios that freeze it. */
export function ferretdbPid(): number {
  const pid = Number(readState('ferretdb/ferretdb.pid'));
  if (!Number.isInteger(pid) || pid <= 0)
    throw new Error('no pid in .local/ferretdb/ferretdb.pid: is the local FerretDB running?');
  return pid;
}

/** SIGSTOP: the server hangs (the kernel still accepts connections, nothing answers) instead of refusing. */
export function freezeProcess(pid: number): void {
  process.kill(pid, 'SIGSTOP');
}

export function thawProcess(pid: number): void {
  process.kill(pid, 'SIGCONT');
}
