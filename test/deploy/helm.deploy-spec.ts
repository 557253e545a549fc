// Every chart under deploy/helm, offline: `helm lint --strict` and `helm template` for the default
// values and each ci/*-values.yaml scenario, the rendered manifests validated by kubeconform
// against the Kubernetes schemas of the targeted K3s version and the CRD schemas of
// ServiceMonitor, PrometheusRule, ScaledObject (prometheus-operator, KEDA), ClusterSecretStore and
// ExternalSecret (External Secrets Operator), ClusterIssuer, Issuer and Certificate (cert-manager),
// and the charts' helm-unittest suites.
// Negative cases prove each check rejects what it should.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  chartsDir,
  helmTemplateArgs,
  k8sSchemaDir,
  kubernetesVersion as versionOfSchemas,
  namespace,
} from './support/charts';
import { expectSuccess, repoRoot, run, toolPath, type ToolResult } from './support/tools';

const charts = readdirSync(chartsDir).filter((name) => existsSync(join(chartsDir, name, 'Chart.yaml')));
const schemaDir = k8sSchemaDir();
const kubernetesVersion = versionOfSchemas();

/**
 * Charts that cannot render without secrets: their default values must fail with this message
 * (no random default password that would change on every upgrade).
 */
const requiredWithoutValues: Record<string, RegExp> = {
  mongodb: /auth\.rootPassword is required/,
  'tokenmeter-secrets': /store\.region is required/,
};

/** Charts whose every object is optional: their default values render nothing (all off). */
const emptyByDefault = new Set(['tokenmeter-edge']);

const clusterValuesDir = join(repoRoot, 'deploy', 'cluster', 'values');

/**
 * Scenarios of a chart: its defaults, its ci/*.yaml files, and the values `make deploy` installs it
 * with for each topology (deploy/cluster/values/<topology>/<chart>.yaml).
 */
function scenarios(chart: string): { name: string; args: string[] }[] {
  const ciDir = join(chartsDir, chart, 'ci');
  const ciFiles = existsSync(ciDir) ? readdirSync(ciDir).filter((f) => f.endsWith('.yaml')) : [];
  const topologies = existsSync(clusterValuesDir) ? readdirSync(clusterValuesDir) : [];
  const deployFiles = topologies
    .map((topology) => join(clusterValuesDir, topology, `${chart}.yaml`))
    .filter((file) => existsSync(file));
  return [
    { name: 'default values', args: [] },
    ...ciFiles.map((f) => ({ name: `ci/${f}`, args: ['-f', join(ciDir, f)] })),
    ...deployFiles.map((file) => ({ name: file.slice(repoRoot.length + 1), args: ['-f', file] })),
  ];
}

function helm(args: readonly string[]): ToolResult {
  return run(toolPath('helm'), args);
}

/**
 * The custom resources' APIs of a cluster with kube-prometheus-stack and KEDA (make monitoring):
 * the charts render ServiceMonitors, PrometheusRules and ScaledObjects only where these are served.
 */
const customResourceApis = [
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'keda.sh/v1alpha1/ScaledObject',
  'keda.sh/v1alpha1/TriggerAuthentication',
];

function render(chart: string, valueArgs: readonly string[], apiVersions = customResourceApis): ToolResult {
  return helm(helmTemplateArgs(chart, [...apiVersions.flatMap((api) => ['--api-versions', api]), ...valueArgs]));
}

function kubeconform(manifests: string): ToolResult {
  return run(
    toolPath('kubeconform'),
    [
      '-strict',
      '-summary',
      '-output',
      'text',
      '-kubernetes-version',
      kubernetesVersion,
      '-schema-location',
      join(repoRoot, '.cache', 'k8s-schemas', schemaDir, '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      '-schema-location',
      join(repoRoot, '.cache', 'crd-schemas', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
      '-',
    ],
    { input: manifests },
  );
}

/** Kinds that need a schema the deploy tools provide; an unknown kind fails instead of skipping. */
function kindsOf(manifests: string): string[] {
  return parseAllDocuments(manifests)
    .map((doc) => doc.toJS() as { kind?: string } | null)
    .flatMap((doc) => (doc?.kind === undefined ? [] : [doc.kind]));
}

describe('deploy/helm charts', () => {
  it('finds the apps, Kafka and MongoDB charts', () => {
    expect(charts).toEqual(expect.arrayContaining(['tokenmeter', 'kafka', 'mongodb']));
  });

  describe.each(charts)('%s', (chart) => {
    it('has a values schema that rejects unknown top-level values, a README and CI scenarios', () => {
      const schema = JSON.parse(readFileSync(join(chartsDir, chart, 'values.schema.json'), 'utf8')) as {
        additionalProperties?: boolean;
      };
      expect(schema.additionalProperties).toBe(false);
      expect(existsSync(join(chartsDir, chart, 'README.md'))).toBe(true);
      expect(scenarios(chart).length).toBeGreaterThan(1);
    });

    describe.each(scenarios(chart))('$name', ({ args }) => {
      let rendered: ToolResult;
      beforeAll(() => {
        rendered = render(chart, args);
      });

      it('passes helm lint --strict', () => {
        expectSuccess(helm(['lint', '--strict', join(chartsDir, chart), '--namespace', namespace, ...args]));
      });

      it('renders and every manifest is valid for the targeted Kubernetes and CRD schemas', () => {
        const required = requiredWithoutValues[chart];
        if (args.length === 0 && required !== undefined) {
          expect(rendered.code).not.toBe(0);
          expect(rendered.output).toMatch(required);
          return;
        }
        expectSuccess(rendered);
        if (args.length === 0 && emptyByDefault.has(chart)) {
          expect(kindsOf(rendered.stdout)).toEqual([]);
          return;
        }
        expect(kindsOf(rendered.stdout).length).toBeGreaterThan(0);
        const validated = kubeconform(rendered.stdout);
        expectSuccess(validated);
        // Skipped would mean a kind without a schema slipped through unchecked.
        expect(validated.output).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
      });
    });

    it('has a README whose values table matches values.yaml (make helm-docs)', () => {
      const generated = run(toolPath('helm-docs'), [
        '--chart-search-root',
        chartsDir,
        '--chart-to-generate',
        join(chartsDir, chart),
        '--sort-values-order',
        'file',
        '--skip-version-footer',
        '--dry-run',
      ]);
      expectSuccess(generated);
      expect(generated.stdout).toContain('| Key | Type | Default | Description |');
      expect(readFileSync(join(chartsDir, chart, 'README.md'), 'utf8')).toBe(generated.stdout);
    });

    it('passes its helm-unittest suites', () => {
      const result = run(toolPath('helm-unittest'), [join(chartsDir, chart)]);
      expectSuccess(result);
      expect(result.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
      expect(result.output).not.toMatch(/failed/);
    });
  });
});

describe('a bare K3s without kube-prometheus-stack or KEDA', () => {
  const builtInKinds = new Set([
    'ConfigMap',
    'Deployment',
    'HorizontalPodAutoscaler',
    'Job',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Secret',
    'Service',
    'ServiceAccount',
    'StatefulSet',
  ]);
  const haValues = (chart: string): string[] => ['-f', join(clusterValuesDir, 'ha', `${chart}.yaml`)];

  it.each(['tokenmeter', 'kafka', 'mongodb'])('%s renders with the ha values and only built-in kinds', (chart) => {
    const result = render(chart, haValues(chart), []);
    expectSuccess(result);
    const kinds = kindsOf(result.stdout);
    expect(kinds.filter((kind) => !builtInKinds.has(kind))).toEqual([]);
    expectSuccess(kubeconform(result.stdout));
  });

  it('keeps the processor on a CPU HPA when KEDA is not installed', () => {
    const result = render('tokenmeter', haValues('tokenmeter'), []);
    expectSuccess(result);
    const hpas = parseAllDocuments(result.stdout)
      .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((doc) => doc?.kind === 'HorizontalPodAutoscaler')
      .map((doc) => doc?.metadata?.name);
    expect(hpas).toContain('tokenmeter-processor');
  });
});

describe('the chart checks fail when they should', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tokenmeter-helm-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  const producerDeployment = (): string => {
    const result = render('tokenmeter', ['--show-only', 'templates/deployment.yaml']);
    expectSuccess(result);
    const doc = parseAllDocuments(result.stdout).find((d) =>
      String((d.toJS() as { metadata?: { name?: string } }).metadata?.name).endsWith('-producer'),
    );
    if (doc === undefined) {
      throw new Error('no producer Deployment rendered');
    }
    return doc.toString();
  };

  it('kubeconform accepts the producer Deployment as rendered', () => {
    expectSuccess(kubeconform(producerDeployment()));
  });

  it('kubeconform rejects a Deployment with a misspelt field', () => {
    const broken = producerDeployment().replace('readinessProbe:', 'readynessProbe:');
    expect(broken).toContain('readynessProbe:');
    const result = kubeconform(broken);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/readynessProbe/);
  });

  it('kubeconform rejects a Deployment with a wrongly typed value', () => {
    const broken = producerDeployment().replace(/containerPort: 3000/, 'containerPort: "three thousand"');
    const result = kubeconform(broken);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/containerPort/);
  });

  it('kubeconform rejects a ServiceMonitor that breaks its CRD schema', () => {
    const result = render('tokenmeter', ['--show-only', 'templates/servicemonitor.yaml']);
    expectSuccess(result);
    const broken = result.stdout.replace(/jobLabel: /g, 'jobLable: ');
    const validated = kubeconform(broken);
    expect(validated.code).not.toBe(0);
    expect(validated.output).toMatch(/jobLable/);
  });

  it('kubeconform rejects an ExternalSecret that breaks the External Secrets Operator CRD schema', () => {
    const result = render('tokenmeter-secrets', [
      '--set',
      'store.region=eu-west-1',
      '--show-only',
      'templates/externalsecrets.yaml',
    ]);
    expectSuccess(result);
    expectSuccess(kubeconform(result.stdout));
    const broken = result.stdout.replace(/remoteRef:/g, 'remoteReference:');
    const validated = kubeconform(broken);
    expect(validated.code).not.toBe(0);
    expect(validated.output).toMatch(/remoteReference/);
  });

  it('kubeconform rejects a ClusterSecretStore with an AWS service the operator does not know', () => {
    const result = render('tokenmeter-secrets', [
      '--set',
      'store.region=eu-west-1',
      '--show-only',
      'templates/clustersecretstore.yaml',
    ]);
    expectSuccess(result);
    const validated = kubeconform(result.stdout.replace('service: ParameterStore', 'service: KeyVault'));
    expect(validated.code).not.toBe(0);
    expect(validated.output).toMatch(/KeyVault|service/);
  });

  it('kubeconform rejects a cert-manager Certificate that breaks its CRD schema', () => {
    const result = render('tokenmeter-edge', [
      '--set',
      'internalTls.enabled=true',
      '--show-only',
      'templates/internal-tls.yaml',
    ]);
    expectSuccess(result);
    expectSuccess(kubeconform(result.stdout));
    const validated = kubeconform(result.stdout.replace(/encoding: PKCS8/g, 'encoding: PKCS12'));
    expect(validated.code).not.toBe(0);
    expect(validated.output).toMatch(/encoding|PKCS12/);
  });

  it('kubeconform fails on a kind it has no schema for instead of skipping it', () => {
    const result = kubeconform('apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/could not find schema for Widget/);
  });

  it('helm lint --strict rejects values the schema does not allow', () => {
    const values = join(scratch, 'bad-values.yaml');
    writeFileSync(values, 'kafka:\n  replicationFactor: 0\nproducer:\n  replicas: 3\n');
    const result = helm(['lint', '--strict', join(chartsDir, 'tokenmeter'), '-f', values]);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/replicationFactor/);
    expect(result.output).toMatch(/replicas/);
  });
});
