// The cluster targets (scripts/cluster/cluster.sh) need AWS and a cluster, so CI checks what can be
// checked without them: every target refuses bad or missing input with a message that says what to
// do, before touching any cloud or cluster.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot, run, toolPath } from './support/tools';

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
      /usage: .*up\|bootstrap\|kubeconfig\|monitoring\|deploy\|validate\|verify-scale-hpa\|destroy/,
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

  describe('make up: the whole sequence with one TOPOLOGY', () => {
    it('is a make target that runs cluster.sh up', () => {
      const makefile = readFileSync(join(repoRoot, 'Makefile'), 'utf8');
      expect(makefile).toMatch(/^up: .*\n\t.*scripts\/cluster\/cluster\.sh up$/m);
    });

    it('checks every input before creating anything: who may reach the API', () => {
      const result = cluster(['up'], { TOPOLOGY: 'ha', IMAGE_REGISTRY: 'ghcr.io/example/tokenmeter' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/TF_VAR_api_allowed_cidrs/);
      expect(result.stderr).not.toMatch(/Terraform root/);
    });

    it('checks every input before creating anything: the image registry', () => {
      const result = cluster(['up'], { TOPOLOGY: 'ha', TF_VAR_api_allowed_cidrs: '["192.0.2.1/32"]' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/IMAGE_REGISTRY is required/);
      expect(result.stderr).not.toMatch(/Terraform root/);
    });
  });

  describe('deploy against a cluster whose monitoring was installed for another topology', () => {
    let fakeBin: string;
    beforeAll(() => {
      // kubectl that knows no CRD (and creates nothing): what a cluster without KEDA answers.
      fakeBin = mkdtempSync(join(tmpdir(), 'tokenmeter-cluster-'));
      writeFileSync(join(fakeBin, 'kubectl'), '#!/bin/sh\necho "kubectl $*" >&2\nexit 1\n');
      chmodSync(join(fakeBin, 'kubectl'), 0o755);
    });
    afterAll(() => {
      rmSync(fakeBin, { recursive: true, force: true });
    });

    it('stops before installing anything and names the command that fixes it', () => {
      const result = cluster(['deploy'], {
        TOPOLOGY: 'ha',
        IMAGE_REGISTRY: 'ghcr.io/example/tokenmeter',
        PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/CRD \S+ is missing: run 'make monitoring TOPOLOGY=ha' first/);
      expect(result.stderr).not.toMatch(/kubectl create namespace/);
    });
  });

  it('names in docs/DEPLOY.md every Secret it creates for tokenmeter', () => {
    const script = readFileSync(join(repoRoot, 'scripts', 'cluster', 'cluster.sh'), 'utf8');
    const docs = readFileSync(join(repoRoot, 'docs', 'DEPLOY.md'), 'utf8');
    const created = [...script.matchAll(/ensure_secret "\$NAMESPACE" ([a-z0-9-]+)/g)].map((m) => m[1] ?? '');
    expect(created).toEqual(expect.arrayContaining(['mongodb-auth', 'mongodb-keyfile', 'mongodb-app']));
    for (const name of created) {
      expect({ name, documented: docs.includes(`\`${name}\``) }).toEqual({ name, documented: true });
    }
  });

  describe('verify-scale-hpa: load through the Service from inside the cluster, lag from Prometheus', () => {
    let fake: string;
    let result: ReturnType<typeof cluster>;
    beforeAll(() => {
      // A kubectl that answers like a cluster with tokenmeter and kube-prometheus-stack installed and
      // records what it is asked: applied manifests, raw API paths, every command line.
      fake = mkdtempSync(join(tmpdir(), 'tokenmeter-scale-'));
      writeFileSync(
        join(fake, 'kubectl'),
        [
          '#!/bin/bash',
          `log=${fake}/calls.log`,
          'echo "$*" >>"$log"',
          'case "$*" in',
          '  *"get crd"*) exit 0 ;;',
          '  *"get deployment tokenmeter-producer"*) printf "ghcr.io/example/tokenmeter/producer:abc123" ;;',
          `  *"apply -f -"*) cat >>${fake}/applied.yaml; echo --- >>${fake}/applied.yaml ;;`,
          '  *"--dry-run=client"*) echo "apiVersion: v1" ;;',
          '  *"get hpa"*) printf "tokenmeter-producer 2 6 71\\n" ;;',
          `  *"get --raw"*) echo "$*" >>${fake}/raw.log; printf '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1765000000.1,"1234"]}]}}' ;;`,
          '  *) exit 0 ;;',
          'esac',
          '',
        ].join('\n'),
      );
      chmodSync(join(fake, 'kubectl'), 0o755);
      result = cluster(['verify-scale-hpa'], {
        TOPOLOGY: 'ha',
        LOAD_RATE: '3000',
        LOAD_PODS: '3',
        LOAD_SECONDS: '1',
        COOLDOWN_SECONDS: '0',
        POLL_SECONDS: '0',
        PATH: `${fake}:${process.env.PATH ?? ''}`,
      });
    });
    afterAll(() => {
      rmSync(fake, { recursive: true, force: true });
    });

    it('runs the deployed producer image as a Job that posts to the producer Service', () => {
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      const applied = readFileSync(join(fake, 'applied.yaml'), 'utf8');
      const job = parseAllDocuments(applied)
        .map((d) => d.toJS() as { kind?: string; spec?: Record<string, unknown> } | null)
        .find((d) => d?.kind === 'Job');
      expect(job?.spec).toMatchObject({ parallelism: 3, completions: 3 });
      const container = (job?.spec as { template: { spec: { containers: { image: string; command: string[] }[] } } })
        .template.spec.containers[0];
      expect(container?.image).toBe('ghcr.io/example/tokenmeter/producer:abc123');
      expect(container?.command).toEqual(
        expect.arrayContaining([
          'dist/tools/loadgen/tools/loadgen/src/main.js',
          'http://tokenmeter-producer.tokenmeter.svc.cluster.local',
          '1000',
        ]),
      );
    });

    it('applies a Job that the Kubernetes schemas accept', () => {
      const applied = readFileSync(join(fake, 'applied.yaml'), 'utf8');
      const jobs = parseAllDocuments(applied).filter((d) => (d.toJS() as { kind?: string } | null)?.kind === 'Job');
      const schemas = join(repoRoot, '.cache', 'k8s-schemas');
      const [schemaDir] = readdirSync(schemas).filter((d) => /-local-strict$/.test(d));
      const validated = run(
        toolPath('kubeconform'),
        [
          '-strict',
          '-summary',
          '-schema-location',
          join(schemas, schemaDir ?? '', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
          '-',
        ],
        { input: jobs.map((d) => d.toString()).join('---\n') },
      );
      expect(validated.output).toMatch(/Valid: 1, Invalid: 0, Errors: 0, Skipped: 0/);
    });

    it('reads the lag from Prometheus, not from a JVM on a broker or a port-forward', () => {
      const raw = readFileSync(join(fake, 'raw.log'), 'utf8');
      expect(raw).toContain(
        '/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:http-web/proxy/api/v1/query?query=',
      );
      expect(decodeURIComponent(raw)).toContain(
        'kafka_consumergroup_lag_sum{consumergroup=~"tokenmeter-processor\\\\..*"}',
      );
      expect(result.stderr).toMatch(/lag=1234/);
      const calls = readFileSync(join(fake, 'calls.log'), 'utf8');
      expect(calls).not.toMatch(/port-forward|exec /);
    });
  });
});
