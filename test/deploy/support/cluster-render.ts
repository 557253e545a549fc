// Renders our charts with the values `make deploy` installs them with (deploy/cluster/values/<topology>/),
// exactly as scripts/cluster/cluster.sh passes them, for the deploy tier's cross-chart checks.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmTemplateArgs } from './charts';
import { expectSuccess, repoRoot, run, toolPath } from './tools';

const valuesDir = join(repoRoot, 'deploy', 'cluster', 'values');

export interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** helm template of one chart with a topology's values, as `make deploy` installs it (release = chart name). */
export function renderCluster(topology: string, chart: string, extraArgs: readonly string[] = []): Manifest[] {
  const result = run(
    toolPath('helm'),
    helmTemplateArgs(chart, ['-f', join(valuesDir, topology, `${chart}.yaml`), ...extraArgs]),
  );
  expectSuccess(result);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}
