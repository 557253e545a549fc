// Runs the local-server scripts of scripts/dev for the deploy tier on ports and state folders of a
// test's own, never the shared .local ones or the ports of servers already running: scripts run
// as child processes with a deadline (the event loop stays free, so a port the test holds keeps
// answering), and ports come from the kernel.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot, type ToolResult } from './tools';

export const devScripts = join(repoRoot, 'scripts', 'dev');

/**
 * The caller's environment without the variables that point the scripts at servers or state
 * already in use (an external KAFKA_BROKERS / MONGO_URL, a port or folder set in the shell).
 */
function isolatedEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (/^(KAFKA_|FERRETDB_|SERVERS_|DEV_|MONGO_)/.test(name) || /_PORT$/.test(name)) delete base[name];
  }
  return { ...base, ...env };
}

/**
 * Runs `scripts/dev/<script> args...`; a run still going at the deadline is killed (SIGKILL) and
 * fails with code -1, so a hang fails the test instead of stalling the tier.
 */
export function runDevScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(devScripts, script), args, {
      cwd: repoRoot,
      env: isolatedEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n(${script} ${args.join(' ')} killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, output: `${stdout}\n${stderr}`.trim() });
    });
  });
}

/** One port per name that nothing listens on right now, from the kernel (bound to 127.0.0.1:0, then released). */
export async function freePorts<Name extends string>(names: readonly Name[]): Promise<Record<Name, number>> {
  const held = await Promise.all(names.map(() => listen()));
  await Promise.all(held.map((port) => port.close()));
  return Object.fromEntries(names.map((name, i) => [name, held[i]?.port ?? 0])) as Record<Name, number>;
}

export interface HeldPort {
  port: number;
  close(): Promise<void>;
}

/** A tiny listener on 127.0.0.1 held by this process, standing for whatever else took a port. */
export function listen(): Promise<HeldPort> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`unexpected listener address ${String(address)}`));
        return;
      }
      resolve({
        port: address.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** True when something accepts a connection on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
