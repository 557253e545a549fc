// docker-compose.yml and deploy/docker/Dockerfile, offline: the Compose CLI resolves the project
// (`config`), with and without the loadgen profile, and the resolved configuration is checked
// against the STYLE policies (healthchecks, depends_on conditions, dropped capabilities,
// no-new-privileges, read-only roots, pinned images, loopback-only ports); the Prometheus and
// Grafana files it mounts are checked against the services and the dashboards; the Dockerfile
// is checked as text (there is no Docker engine here to build it). Negative cases prove the
// checks reject what they should.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { DEFAULT_TOPICS } from '@tokenmeter/contracts';
import { parse } from 'yaml';
import { repoRoot, run, toolPath, type ToolResult } from './support/tools';

const composeFile = join(repoRoot, 'docker-compose.yml');
const dockerfile = join(repoRoot, 'deploy', 'docker', 'Dockerfile');

/** The three services and the port each listens on (their config.ts defaults). */
const APPS = { producer: 3001, processor: 3002, 'query-api': 3000 } as const;
type App = keyof typeof APPS;
const APP_NAMES = Object.keys(APPS) as App[];

/** Services that run to completion: no healthcheck (documented in docker-compose.yml), no restart. */
const ONE_SHOTS = new Set(['kafka-init', 'loadgen']);
/** Services whose image cannot run with a read-only root (reason in docker-compose.yml). */
const WRITABLE_ROOT = new Set(['kafka']);
const CONDITIONS = new Set(['service_healthy', 'service_completed_successfully']);

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  profiles?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  cap_drop?: string[];
  security_opt?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
  ports?: { host_ip?: string; target: number; published?: string }[];
  environment?: Record<string, string | null>;
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  command?: string[] | null;
  entrypoint?: string[] | null;
}

interface ComposeConfig {
  services: Record<string, ComposeService>;
}

// Compose interpolates the caller's environment and a .env file: both are cleared, so the test
// checks the defaults written in docker-compose.yml, not whatever the developer has exported.
const composeVariables = [...readFileSync(composeFile, 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]);
const cleanEnv: NodeJS.ProcessEnv = {};
for (const name of [
  ...composeVariables,
  'COMPOSE_FILE',
  'COMPOSE_PROFILES',
  'COMPOSE_PROJECT_NAME',
  'COMPOSE_ENV_FILES',
]) {
  // Undefined removes the variable from the child's environment.
  if (name !== undefined) cleanEnv[name] = undefined;
}
// No engine is needed for `config`; a dead socket makes sure none is asked.
cleanEnv.DOCKER_HOST = 'unix:///nonexistent/docker.sock';

let scratch: string;
let emptyEnvFile: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'tokenmeter-compose-'));
  emptyEnvFile = join(scratch, 'empty.env');
  writeFileSync(emptyEnvFile, '');
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function compose(args: readonly string[], file = composeFile): ToolResult {
  return run(toolPath('docker-compose'), ['--env-file', emptyEnvFile, '-f', file, ...args], { env: cleanEnv });
}

function resolvedConfig(profiles: readonly string[] = []): ComposeConfig {
  const result = compose([...profiles.flatMap((p) => ['--profile', p]), 'config', '--format', 'json']);
  if (result.code !== 0) throw new Error(`docker-compose config failed:\n${result.output}`);
  return JSON.parse(result.stdout) as ComposeConfig;
}

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.-]+)?$/;

/** An image reference pinned to an exact version tag (optionally also a digest), never latest. */
function isPinnedImage(image: string): boolean {
  const match = /^(?<name>[a-z0-9][a-z0-9./_-]*)(?::(?<tag>[\w.-]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
  const tag = match?.groups?.tag;
  return tag !== undefined && tag !== 'latest' && EXACT_VERSION.test(tag);
}

/**
 * Everything in a resolved compose configuration that breaks the STYLE policies, one line per
 * problem; empty when it complies.
 */
function policyViolations(config: ComposeConfig): string[] {
  const problems: string[] = [];
  const services = config.services;
  for (const [name, service] of Object.entries(services)) {
    const at = (problem: string) => problems.push(`${name}: ${problem}`);
    const oneShot = ONE_SHOTS.has(name);

    const check = service.healthcheck;
    if (oneShot) {
      if (check?.disable !== true) at('a one-shot must disable the healthcheck it could inherit from its image');
    } else if (check === undefined || check.disable === true || (check.test ?? []).length === 0) {
      at('no healthcheck');
    }

    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      if (!CONDITIONS.has(condition)) at(`depends_on ${dependency} with condition ${condition}`);
      const target = services[dependency];
      if (condition === 'service_healthy' && (target?.healthcheck?.test ?? []).length === 0) {
        at(`waits for ${dependency} to be healthy, which has no healthcheck`);
      }
      if (condition === 'service_completed_successfully' && !ONE_SHOTS.has(dependency)) {
        at(`waits for ${dependency} to complete, which is not a one-shot`);
      }
    }

    if (!(service.cap_drop ?? []).includes('ALL')) at('cap_drop does not contain ALL');
    if (!(service.security_opt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o))) {
      at('no-new-privileges is not set');
    }
    if (!WRITABLE_ROOT.has(name)) {
      if (service.read_only !== true) at('root filesystem is not read-only');
      else if (!(service.tmpfs ?? []).some((t) => t.split(':')[0] === '/tmp')) at('read-only without a /tmp tmpfs');
    }

    const restart = service.restart ?? '';
    if (oneShot ? restart !== 'no' : !['unless-stopped', 'always'].includes(restart)) {
      at(`restart policy "${restart}"`);
    }

    if (service.build === undefined) {
      if (!isPinnedImage(service.image ?? '')) at(`image "${service.image ?? ''}" is not pinned to an exact version`);
    } else if (!/^tokenmeter\/[a-z-]+:local$/.test(service.image ?? '')) {
      at(`built image named "${service.image ?? ''}"`);
    }

    for (const port of service.ports ?? []) {
      if (port.host_ip !== '127.0.0.1') at(`port ${port.target} published on "${port.host_ip ?? 'every address'}"`);
    }
  }
  return problems;
}

/** The bind mount of a service whose target contains `path`, and the host file behind `path`. */
function hostPathOf(service: ComposeService, path: string): { hostPath: string; readOnly: boolean } | undefined {
  for (const volume of service.volumes ?? []) {
    if (volume.type !== 'bind' || volume.source === undefined) continue;
    if (path === volume.target || path.startsWith(`${volume.target}/`)) {
      return { hostPath: join(volume.source, path.slice(volume.target.length)), readOnly: volume.read_only === true };
    }
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  let config: ComposeConfig;

  beforeAll(() => {
    config = resolvedConfig(['loadgen']);
  });

  it('resolves without the loadgen profile, which leaves the load generator out', () => {
    const quiet = compose(['config', '--quiet']);
    expect({ code: quiet.code, output: quiet.output }).toEqual({ code: 0, output: '' });
    expect(Object.keys(resolvedConfig().services).sort()).toEqual(
      ['grafana', 'kafka', 'kafka-init', 'mongodb', 'processor', 'producer', 'prometheus', 'query-api'].sort(),
    );
  });

  it('resolves with the loadgen profile, which adds the load generator', () => {
    const quiet = compose(['--profile', 'loadgen', 'config', '--quiet']);
    expect({ code: quiet.code, output: quiet.output }).toEqual({ code: 0, output: '' });
    expect(Object.keys(config.services)).toContain('loadgen');
    expect(config.services.loadgen?.profiles).toEqual(['loadgen']);
  });

  it('keeps every service to the policies', () => {
    expect(policyViolations(config)).toEqual([]);
  });

  it('reports a service that breaks the policies', () => {
    const broken = structuredClone(config);
    const grafana = broken.services.grafana;
    const processor = broken.services.processor;
    if (grafana === undefined || processor === undefined) throw new Error('grafana or processor missing');
    grafana.image = 'grafana/grafana:latest';
    grafana.ports = [{ host_ip: '0.0.0.0', target: 3000, published: '3030' }];
    processor.cap_drop = [];
    delete processor.healthcheck;
    processor.depends_on = { kafka: { condition: 'service_started' } };
    expect(policyViolations(broken).sort()).toEqual([
      'grafana: image "grafana/grafana:latest" is not pinned to an exact version',
      'grafana: port 3000 published on "0.0.0.0"',
      'processor: cap_drop does not contain ALL',
      'processor: depends_on kafka with condition service_started',
      'processor: no healthcheck',
    ]);
  });

  it.each(APP_NAMES)('builds %s from deploy/docker/Dockerfile and checks its readiness', (app) => {
    const service = config.services[app];
    expect(service?.build).toMatchObject({ dockerfile: 'deploy/docker/Dockerfile', target: app });
    expect(service?.build?.context).toBe(repoRoot);
    expect(service?.image).toBe(`tokenmeter/${app}:local`);
    expect(service?.environment?.HTTP_PORT).toBe(String(APPS[app]));
    expect(service?.ports?.map((p) => p.target)).toEqual([APPS[app]]);
    expect((service?.healthcheck?.test ?? []).join(' ')).toContain('/health/ready');
  });

  it('runs the fleet simulator on the producer by default', () => {
    expect(config.services.producer?.environment?.SIMULATOR_ENABLED).toBe('true');
  });

  it('creates the three topics before the services start', () => {
    const script = (config.services['kafka-init']?.command ?? []).join(' ');
    const topics = Object.values(DEFAULT_TOPICS);
    expect(topics).toHaveLength(3);
    for (const topic of topics) expect(script).toContain(topic);
    expect(script).toContain('--if-not-exists');
    expect(config.services['kafka-init']?.entrypoint).toEqual(['/bin/bash', '-euc']);
    // `config` prints $$ (compose's escape) where the container gets $.
    const syntax = run('bash', ['-n', '-c', script.replaceAll('$$', '$')]);
    expect({ code: syntax.code, output: syntax.output }).toEqual({ code: 0, output: '' });
    for (const app of ['producer', 'processor'] as const) {
      expect(config.services[app]?.depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
    }
  });

  it('points the load generator at the producer', () => {
    const command = config.services.loadgen?.command ?? [];
    expect(command.slice(0, 2)).toEqual(['node', 'dist/tools/loadgen/tools/loadgen/src/main.js']);
    expect(command[command.indexOf('--target') + 1]).toBe('http://producer:3001');
    expect(Number(command[command.indexOf('--rate') + 1])).toBeGreaterThan(0);
    expect(Number(command[command.indexOf('--duration') + 1])).toBeGreaterThan(0);
  });
});

describe('Prometheus of docker-compose.yml', () => {
  interface PrometheusConfig {
    rule_files?: string[];
    scrape_configs?: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[] }[];
  }

  let prometheus: ComposeService;
  let prometheusConfig: PrometheusConfig;

  beforeAll(() => {
    const config = resolvedConfig();
    if (config.services.prometheus === undefined) throw new Error('no prometheus service');
    prometheus = config.services.prometheus;
    const mounted = hostPathOf(prometheus, '/etc/prometheus/prometheus.yml');
    expect(mounted).toEqual({
      hostPath: join(repoRoot, 'deploy', 'compose', 'prometheus', 'prometheus.yml'),
      readOnly: true,
    });
    prometheusConfig = parse(readFileSync(mounted?.hostPath ?? '', 'utf8')) as PrometheusConfig;
  });

  it('scrapes exactly the three services, as the jobs the rules and dashboards select', () => {
    const jobs = (prometheusConfig.scrape_configs ?? []).map((job) => ({
      job: job.job_name,
      path: job.metrics_path ?? '/metrics',
      targets: (job.static_configs ?? []).flatMap((s) => s.targets),
    }));
    expect(jobs.sort((a, b) => a.job.localeCompare(b.job))).toEqual(
      [...APP_NAMES].sort().map((app) => ({ job: app, path: '/metrics', targets: [`${app}:${APPS[app]}`] })),
    );
  });

  it('loads the rule files of deploy/observability/rules from a read-only mount', () => {
    const ruleFiles = prometheusConfig.rule_files ?? [];
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const file of ruleFiles) {
      const mounted = hostPathOf(prometheus, file);
      expect(mounted?.readOnly).toBe(true);
      expect(
        relative(repoRoot, mounted?.hostPath ?? '')
          .split(sep)
          .join('/'),
      ).toBe('deploy/observability/rules/tokenmeter.rules.yml');
      expect(existsSync(mounted?.hostPath ?? '')).toBe(true);
    }
  });
});

describe('Grafana of docker-compose.yml', () => {
  interface Datasource {
    name: string;
    uid: string;
    type: string;
    url?: string;
    isDefault?: boolean;
  }
  interface DashboardVariable {
    name: string;
    type: string;
    query?: unknown;
  }

  let grafana: ComposeService;
  let datasources: Datasource[];
  const dashboardsDir = join(repoRoot, 'deploy', 'observability', 'dashboards');

  beforeAll(() => {
    const config = resolvedConfig();
    if (config.services.grafana === undefined) throw new Error('no grafana service');
    grafana = config.services.grafana;
    const dir = hostPathOf(grafana, '/etc/grafana/provisioning/datasources');
    expect(dir?.readOnly).toBe(true);
    datasources = readdirSync(dir?.hostPath ?? '')
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap(
        (f) => (parse(readFileSync(join(dir?.hostPath ?? '', f), 'utf8')) as { datasources: Datasource[] }).datasources,
      );
  });

  it('provisions a datasource for every datasource the dashboards reference', () => {
    const unresolved: string[] = [];
    const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(join(dashboardsDir, file), 'utf8');
      const dashboard = JSON.parse(text) as { templating?: { list?: DashboardVariable[] } };
      const variables = dashboard.templating?.list ?? [];
      const refs = new Set([...text.matchAll(/"datasource":\s*\{[^}]*?"uid":\s*"([^"]+)"/g)].map((m) => m[1] ?? ''));
      expect(refs.size).toBeGreaterThan(0);
      for (const uid of refs) {
        const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
        if (variable === undefined) {
          // A fixed uid must be provisioned with exactly that uid.
          if (!datasources.some((d) => d.uid === uid)) unresolved.push(`${file}: uid ${uid}`);
          continue;
        }
        // A datasource variable resolves to a datasource of the plugin type in its query.
        const declared = variables.find((v) => v.name === variable && v.type === 'datasource');
        if (declared === undefined || !datasources.some((d) => d.type === declared.query)) {
          unresolved.push(`${file}: \${${variable}} (${String(declared?.query)})`);
        }
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('makes the Prometheus of the compose project the default datasource', () => {
    const defaults = datasources.filter((d) => d.isDefault === true);
    expect(defaults.map((d) => ({ type: d.type, url: d.url }))).toEqual([
      { type: 'prometheus', url: 'http://prometheus:9090' },
    ]);
    expect(new Set(datasources.map((d) => d.uid)).size).toBe(datasources.length);
  });

  it('provisions the dashboards of deploy/observability/dashboards from a read-only mount', () => {
    const dir = hostPathOf(grafana, '/etc/grafana/provisioning/dashboards');
    expect(dir?.readOnly).toBe(true);
    const providers = readdirSync(dir?.hostPath ?? '')
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap(
        (f) =>
          (parse(readFileSync(join(dir?.hostPath ?? '', f), 'utf8')) as { providers: { options: { path: string } }[] })
            .providers,
      );
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      expect(hostPathOf(grafana, provider.options.path)).toEqual({ hostPath: dashboardsDir, readOnly: true });
    }
  });
});

describe('deploy/docker/Dockerfile', () => {
  interface Stage {
    name: string;
    from: string;
    instructions: { keyword: string; args: string }[];
  }

  const text = readFileSync(dockerfile, 'utf8');
  // Instructions with their continuation lines joined; comments dropped.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ name: match?.[2] ?? String(stages.length), from: match?.[1] ?? '', instructions: [] });
    } else if (stages.length === 0 && keyword.toUpperCase() === 'ARG') {
      const [name = '', value = ''] = args.split('=');
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  const stageByName = new Map(stages.map((s) => [s.name, s]));

  /** The stage and the stages it builds on, nearest first. */
  function lineage(name: string): Stage[] {
    const chain: Stage[] = [];
    for (let stage = stageByName.get(name); stage !== undefined; stage = stageByName.get(stage.from)) {
      chain.push(stage);
    }
    return chain;
  }

  /** The last value of an instruction in the stage, inherited from the stages it builds on. */
  function effective(name: string, keyword: string): string | undefined {
    for (const stage of lineage(name)) {
      const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1);
      if (found !== undefined) return found.args;
    }
    return undefined;
  }

  function envOf(name: string): Map<string, string> {
    const env = new Map<string, string>();
    for (const stage of lineage(name).reverse()) {
      for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
        for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          env.set(m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, ''));
      }
    }
    return env;
  }

  it('pins every base image to an exact version', () => {
    const external = stages.filter((s) => !stageByName.has(s.from));
    expect(external.length).toBeGreaterThan(0);
    for (const stage of external) {
      const image = stage.from.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => globalArgs.get(arg) ?? '');
      expect({ stage: stage.name, image, pinned: isPinnedImage(image) }).toEqual({
        stage: stage.name,
        image,
        pinned: true,
      });
    }
  });

  it.each(APP_NAMES)('has a %s target that runs only its app, as a non-root numeric user', (app) => {
    expect(stageByName.has(app)).toBe(true);

    const user = effective(app, 'USER') ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);

    const healthcheck = effective(app, 'HEALTHCHECK') ?? 'NONE';
    expect(healthcheck).not.toMatch(/^NONE$/i);
    expect(healthcheck).toContain('/health/live');

    const cmd = JSON.parse(effective(app, 'CMD') ?? 'null') as unknown;
    expect(Array.isArray(cmd) && cmd[0] === 'node').toBe(true);
    expect(cmd).toContain(`dist/apps/${app}/apps/${app}/src/main.js`);

    expect(effective(app, 'EXPOSE')).toBe(String(APPS[app]));
    expect(envOf(app).get('HTTP_PORT')).toBe(String(APPS[app]));
    expect(envOf(app).get('NODE_ENV')).toBe('production');

    const copiedFromBuild = lineage(app)
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build '));
    // Each image gets only its app; the producer's also carries the load generator, its client.
    expect(copiedFromBuild.map((i) => i.args.split(/\s+/)[1])).toEqual([
      `/app/dist/apps/${app}`,
      ...(app === 'producer' ? ['/app/dist/tools/loadgen'] : []),
    ]);
  });

  it('caps the processor heap as docs/PERFORMANCE.md recommends', () => {
    expect(envOf('processor').get('NODE_OPTIONS')).toBe('--max-old-space-size=160 --max-semi-space-size=8');
    expect(envOf('producer').has('NODE_OPTIONS')).toBe(false);
  });

  it('copies only what .dockerignore lets into the build context', () => {
    const allowed = new Set(
      readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('!'))
        .map((l) => l.slice(1).replace(/\/$/, '')),
    );
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => !allowed.has(s.replace(/^\.\//, '').replace(/\/$/, '')))).toEqual([]);
  });
});

describe('docker-compose config (negative)', () => {
  it('fails on a service that depends on a service that does not exist', () => {
    const file = join(scratch, 'broken-compose.yml');
    writeFileSync(
      file,
      [
        'services:',
        '  app:',
        '    image: busybox:1.37.0',
        '    depends_on:',
        '      missing-service:',
        '        condition: service_healthy',
        '',
      ].join('\n'),
    );
    const result = compose(['config', '--quiet'], file);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('missing-service');
  });
});
