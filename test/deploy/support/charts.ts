// Where the charts are and how the deploy tier renders them: one `helm template` command line for
// every spec (the Kubernetes version is the one of the schemas scripts/deploy/tools.sh unpacked).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './tools';

export const chartsDir = join(repoRoot, 'deploy', 'helm');
export const namespace = 'tokenmeter';

/** The one `v<version>-local-strict` folder of Kubernetes schemas; an error that says how to get it. */
export function k8sSchemaDir(): string {
  const root = join(repoRoot, '.cache', 'k8s-schemas');
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => /^v\d+\.\d+\.\d+-local-strict$/.test(d)) : [];
  const [dir] = dirs;
  if (dir === undefined || dirs.length !== 1) {
    throw new Error(`expected one schema folder in ${root}, found ${dirs.length}: run scripts/deploy/tools.sh`);
  }
  return dir;
}

/** The Kubernetes version charts are rendered and validated for (that of the schemas). */
export function kubernetesVersion(): string {
  return /^v(\d+\.\d+\.\d+)/.exec(k8sSchemaDir())?.[1] ?? '';
}

/** `helm template <chart>` of one of our charts (release = chart name) with `extraArgs` appended. */
export function helmTemplateArgs(chart: string, extraArgs: readonly string[] = []): string[] {
  return [
    'template',
    chart,
    join(chartsDir, chart),
    '--namespace',
    namespace,
    '--kube-version',
    kubernetesVersion(),
    ...extraArgs,
  ];
}
