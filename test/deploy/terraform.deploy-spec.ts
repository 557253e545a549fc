// deploy/terraform, offline: `tofu fmt -check`, tflint with its bundled terraform ruleset, and
// `tofu test` of the provider-free modules (modules/network-plan, modules/k3s-cloud-init). The root
// module and the examples need the AWS provider from the registry, which CI cannot reach, so their
// `tofu init`/`validate`/`plan` run only where registry.opentofu.org is reachable (README.md).
// A negative case proves the format check can fail.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectSuccess, repoRoot, run, toolPath, type ToolResult } from './support/tools';

const terraformDir = join(repoRoot, 'deploy', 'terraform');
const tflintConfig = join(terraformDir, '.tflint.hcl');
const providerFreeModules = ['network-plan', 'k3s-cloud-init'] as const;

let scratchDir: string;

beforeAll(() => {
  scratchDir = mkdtempSync(join(tmpdir(), 'tokenmeter-terraform-'));
});

afterAll(() => {
  rmSync(scratchDir, { recursive: true, force: true });
});

/**
 * Keeps `.terraform/` and the plugin cache out of the source tree (one data dir per module) and
 * replaces any user CLI config (mirrors, credentials) with an empty one, so results are the same
 * on every machine.
 */
function tofuEnv(moduleName: string): NodeJS.ProcessEnv {
  const pluginCacheDir = join(scratchDir, 'plugin-cache');
  mkdirSync(pluginCacheDir, { recursive: true });
  const cliConfigFile = join(scratchDir, 'tofurc');
  writeFileSync(cliConfigFile, '');
  return {
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_DATA_DIR: join(scratchDir, moduleName, 'data'),
    TF_PLUGIN_CACHE_DIR: pluginCacheDir,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
  };
}

function tofu(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ToolResult {
  return run(toolPath('tofu'), args, options);
}

/** The number of `run` blocks in a module's tests/*.tftest.hcl: every one must pass. */
function declaredRuns(moduleDir: string): number {
  const testsDir = join(moduleDir, 'tests');
  return readdirSync(testsDir)
    .filter((file) => file.endsWith('.tftest.hcl'))
    .map((file) => readFileSync(join(testsDir, file), 'utf8').match(/^run "[^"]+" \{/gm)?.length ?? 0)
    .reduce((total, runs) => total + runs, 0);
}

describe('deploy/terraform formatting', () => {
  it('passes tofu fmt -check over every .tf and .tftest.hcl file', () => {
    const result = tofu(['fmt', '-check', '-recursive', '-diff', '-no-color', terraformDir], { env: tofuEnv('fmt') });

    expectSuccess(result);
  });

  it('fails tofu fmt -check on a mis-formatted copy of a .tf file', () => {
    const dir = mkdtempSync(join(scratchDir, 'fmt-'));
    const source = readFileSync(join(terraformDir, 'modules', 'network-plan', 'variables.tf'), 'utf8');
    writeFileSync(join(dir, 'pristine.tf'), source);
    const pristine = tofu(['fmt', '-check', '-no-color', dir], { env: tofuEnv('fmt') });
    expectSuccess(pristine);

    writeFileSync(join(dir, 'misformatted.tf'), source.replace(/^ +/gm, ''));
    const result = tofu(['fmt', '-check', '-no-color', dir], { env: tofuEnv('fmt') });

    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('misformatted.tf');
    expect(result.stdout).not.toContain('pristine.tf');
  });
});

describe('deploy/terraform lint', () => {
  it('passes tflint (bundled terraform ruleset) in the root, the modules and the examples', () => {
    // An absolute --config applies the same rules in every directory --recursive visits.
    const result = run(toolPath('tflint'), [
      `--chdir=${terraformDir}`,
      '--recursive',
      `--config=${tflintConfig}`,
      '--no-color',
    ]);

    expectSuccess(result);
  });
});

describe.each(providerFreeModules)('deploy/terraform/modules/%s', (moduleName) => {
  const moduleDir = join(terraformDir, 'modules', moduleName);

  it('initialises offline and passes every tofu test run', () => {
    const env = tofuEnv(moduleName);
    const init = tofu(['init', '-backend=false', '-input=false', '-no-color'], { cwd: moduleDir, env });
    expectSuccess(init);

    const result = tofu(['test', '-no-color'], { cwd: moduleDir, env });
    expectSuccess(result);

    const expectedRuns = declaredRuns(moduleDir);
    expect(expectedRuns).toBeGreaterThan(0);
    const summary = /(\d+) passed, (\d+) failed/.exec(result.stdout);
    expect({ summary: summary?.slice(1, 3), output: result.output }).toMatchObject({
      summary: [String(expectedRuns), '0'],
    });
  });

  it('leaves no .terraform directory or lock file in the source tree', () => {
    expect(existsSync(join(moduleDir, '.terraform'))).toBe(false);
    expect(existsSync(join(moduleDir, '.terraform.lock.hcl'))).toBe(false);
  });
});

// The root module needs the AWS provider, so what must hold of it is read from its source.
describe('deploy/terraform: nodes and their data survive a K3s version change', () => {
  const compute = readFileSync(join(terraformDir, 'compute.tf'), 'utf8');
  const resourceBlock = (name: string): string => {
    const start = compute.indexOf(`resource "aws_instance" "${name}"`);
    expect(start).toBeGreaterThanOrEqual(0);
    const next = compute.indexOf('\nresource "', start + 1);
    return compute.slice(start, next === -1 ? undefined : next);
  };

  it.each(['server', 'agent'])('never replaces the %s because its user_data (k3s_version) changed', (name) => {
    const block = resourceBlock(name);
    expect(block).toMatch(/user_data_replace_on_change\s*=\s*false/);
    // Updating user_data in place would stop and start the instance.
    expect(block).toMatch(/ignore_changes\s*=\s*\[[^\]]*\buser_data\b[^\]]*\]/);
  });

  it('installs the EBS CSI driver with its StorageClass by default, the one the ha values use', () => {
    const variables = readFileSync(join(terraformDir, 'variables.tf'), 'utf8');
    const ebs = /variable "ebs_csi" \{[\s\S]*?\n\}/.exec(variables)?.[0] ?? '';
    expect(ebs).toMatch(/enabled\s*=\s*optional\(bool, true\)/);
    const storageClass = /storage_class_name\s*=\s*optional\(string, "([^"]+)"\)/.exec(ebs)?.[1];
    expect(storageClass).toBe('ebs-gp3');
    expect(compute).toMatch(/ebs_csi = var\.ebs_csi\.enabled \?/);
    const iam = readFileSync(join(terraformDir, 'iam.tf'), 'utf8');
    expect(iam).toMatch(/resource "aws_iam_user_policy" "ebs_csi"/);
    expect(iam).toMatch(/variable = "ec2:Encrypted"/);
    for (const file of ['kafka.yaml', 'mongodb.yaml']) {
      const values = readFileSync(join(repoRoot, 'deploy', 'cluster', 'values', 'ha', file), 'utf8');
      expect({ file, storageClass: /storageClass: (\S+)/.exec(values)?.[1] }).toEqual({ file, storageClass });
    }
  });
});
