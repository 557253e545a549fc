// The cluster targets (scripts/cluster/cluster.sh) need AWS and a cluster, so CI checks what can be
// checked without them: every target refuses bad or missing input with a message that says what to
// do, before touching any cloud or cluster.
import { join } from 'node:path';
import { repoRoot, run } from './support/tools';

const script = join(repoRoot, 'scripts', 'cluster', 'cluster.sh');

function cluster(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  // No kubeconfig, registry or Terraform variables from the caller's shell.
  return run('bash', [script, ...args], {
    env: {
      KUBECONFIG: join(repoRoot, '.local', 'cluster-spec-none'),
      IMAGE_REGISTRY: '',
      TF_VAR_api_allowed_cidrs: '',
      TF_VAR_FILE: '',
      TOPOLOGY: '',
      ...env,
    },
  });
}

describe('scripts/cluster/cluster.sh', () => {
  it('lists the targets when called without one', () => {
    const result = cluster([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /usage: .*bootstrap\|kubeconfig\|monitoring\|deploy\|validate\|verify-scale-hpa\|destroy/,
    );
  });

  it('refuses an unknown topology', () => {
    const result = cluster(['deploy'], { TOPOLOGY: 'huge' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TOPOLOGY must be single .* or ha/);
  });

  it('will not bootstrap without knowing who may reach the Kubernetes API', () => {
    const result = cluster(['bootstrap']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TF_VAR_api_allowed_cidrs/);
  });

  it('will not bootstrap from a variables file that does not exist', () => {
    const result = cluster(['bootstrap'], { TF_VAR_FILE: join(repoRoot, '.local', 'no-such.tfvars') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no-such\.tfvars does not exist/);
  });

  it('will not deploy without the registry the images are in', () => {
    const result = cluster(['deploy'], { TOPOLOGY: 'ha' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/IMAGE_REGISTRY is required/);
  });

  it('reads the third-party chart versions it installs from one pinned file', () => {
    const result = run('bash', [
      '-c',
      `set -a && source ${join(repoRoot, 'deploy', 'cluster', 'versions.env')} && env`,
    ]);
    for (const name of [
      'KUBE_PROMETHEUS_STACK_VERSION',
      'LOKI_CHART_VERSION',
      'ALLOY_CHART_VERSION',
      'KEDA_CHART_VERSION',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^${name}=\\d+\\.\\d+\\.\\d+$`, 'm'));
    }
  });
});
