// Runs the offline deploy tools (built by scripts/deploy/tools.sh into .cache/bin) for the
// deploy tier, returning exit code and output instead of throwing, so tests assert on both.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '..', '..', '..');
export const cacheBin = join(repoRoot, '.cache', 'bin');

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for failure messages. */
  output: string;
}

/** A tool from .cache/bin by name; fails with the command that builds it when it is missing. */
export function toolPath(name: string): string {
  const path = join(cacheBin, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/deploy/tools.sh (make deploy-tools)`);
  }
  return path;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): ToolResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    throw result.error;
  }
  const stdout = result.stdout;
  const stderr = result.stderr;
  return { code: result.status ?? 1, stdout, stderr, output: `${stdout}\n${stderr}`.trim() };
}

/** The tool exited 0; on failure jest prints its output next to the code. */
export function expectSuccess(result: ToolResult): void {
  expect({ code: result.code, output: result.output }).toMatchObject({ code: 0 });
}
