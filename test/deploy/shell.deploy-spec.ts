// shellcheck over every shell script of the repository: the cluster scripts (scripts/cluster) cannot
// run without a cluster, so static analysis is the check they get here; the others run in CI too.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expectSuccess, repoRoot, run, toolPath } from './support/tools';

const skipped = new Set(['node_modules', '.cache', '.local', 'dist', 'coverage', '.git', '.terraform']);

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (skipped.has(name)) return [];
    if (statSync(path).isDirectory()) return shellScripts(path);
    return name.endsWith('.sh') ? [path] : [];
  });
}

function shellcheck(files: readonly string[]) {
  return run(toolPath('shellcheck'), ['--external-sources', '--severity=warning', ...files]);
}

describe('shell scripts', () => {
  const scripts = [...shellScripts(repoRoot), join(repoRoot, '.ci', 'run')];

  it('finds the cluster, deploy, dev and test scripts', () => {
    const names = scripts.map((file) => relative(repoRoot, file));
    expect(names).toEqual(
      expect.arrayContaining([
        'scripts/cluster/cluster.sh',
        'scripts/deploy/tools.sh',
        'scripts/dev/kafka.sh',
        'scripts/test/run-all.sh',
        '.ci/run',
      ]),
    );
  });

  it('pass shellcheck (warnings and errors)', () => {
    const result = shellcheck(scripts);
    expectSuccess(result);
  });

  it('shellcheck fails on an unquoted variable in rm -rf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-shellcheck-'));
    try {
      const script = join(dir, 'broken.sh');
      writeFileSync(script, '#!/usr/bin/env bash\ntarget=$1\nrm -rf "$target"/\ncd /tmp\nrm -rf $target/*\n');
      const result = shellcheck([script]);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/SC2115|SC2086/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
