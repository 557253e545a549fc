// The query API's price catalog as the deployments ship it (docs/DEPLOY.md, "Price catalog"): the
// Helm chart's queryApi.priceCatalog rendered into a ConfigMap, and docker-compose.yml's bind mount
// of deploy/compose/price-catalog.json. Each is checked end to end, offline: the file the query API
// would read is where PRICE_CATALOG_FILE points, is mounted read-only, and passes the app's own
// catalog parser (what the query API runs at boot); a changed catalog changes the pods' checksum.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { parsePriceCatalog } from '../../apps/query-api/src/costs/price-catalog';
import { chartsDir, helmTemplateArgs } from './support/charts';
import { expectSuccess, repoRoot, run, toolPath } from './support/tools';

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: {
        containers: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

/** The problems the app's parser finds in a catalog file's text; empty when it would boot with it. */
function catalogProblems(text: string): string[] {
  const parsed = parsePriceCatalog(text);
  return parsed.ok ? [] : parsed.problems;
}

describe('the Helm chart ships queryApi.priceCatalog to the query API', () => {
  const chart = 'tokenmeter';
  const ciValues = join(chartsDir, chart, 'ci', 'price-catalog-values.yaml');
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tokenmeter-price-catalog-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  function render(valueArgs: readonly string[]): Manifest[] {
    const result = run(toolPath('helm'), helmTemplateArgs(chart, valueArgs));
    expectSuccess(result);
    return parseAllDocuments(result.stdout)
      .map((doc) => doc.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
  }

  const queryApi = (manifests: Manifest[]): Manifest => {
    const found = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'tokenmeter-query-api');
    if (found?.spec === undefined) throw new Error('no query-api Deployment rendered');
    return found;
  };

  it('puts the file the app parses where PRICE_CATALOG_FILE points, read-only', () => {
    const manifests = render(['-f', ciValues]);
    const deployment = queryApi(manifests);
    const settings = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'tokenmeter-query-api');
    const path = settings?.data?.PRICE_CATALOG_FILE ?? '';
    const mount = deployment.spec?.template.spec.containers[0]?.volumeMounts?.find((m) =>
      path.startsWith(`${m.mountPath}/`),
    );
    expect(mount?.readOnly).toBe(true);
    const volume = deployment.spec?.template.spec.volumes?.find((v) => v.name === mount?.name);
    const catalogMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === volume?.configMap?.name);
    const text = catalogMap?.data?.[path.slice((mount?.mountPath.length ?? 0) + 1)];
    expect(text).toBeDefined();

    // The JSON is the values' catalog, and the query API would boot with it.
    const values = parse(readFileSync(ciValues, 'utf8')) as { queryApi: { priceCatalog: unknown } };
    expect(JSON.parse(text ?? '')).toEqual(values.queryApi.priceCatalog);
    expect(catalogProblems(text ?? '')).toEqual([]);
  });

  it('rolls the query API pods when a price changes, and only then', () => {
    const checksum = (args: readonly string[]): string | undefined =>
      queryApi(render(args)).spec?.template.metadata.annotations?.['checksum/price-catalog'];
    const changed = join(scratch, 'changed-price.yaml');
    writeFileSync(changed, readFileSync(ciValues, 'utf8').replace("output: '2.70'", "output: '2.80'"));
    expect(readFileSync(changed, 'utf8')).not.toBe(readFileSync(ciValues, 'utf8'));

    const before = checksum(['-f', ciValues]);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(['-f', ciValues])).toBe(before);
    expect(checksum(['-f', changed])).not.toBe(before);
    expect(checksum([])).toBeUndefined();
  });
});

describe('docker-compose.yml ships deploy/compose/price-catalog.json to the query API', () => {
  const exampleFile = join(repoRoot, 'deploy', 'compose', 'price-catalog.json');

  interface QueryApiService {
    environment?: Record<string, string | null>;
    volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  }

  function queryApiService(env: NodeJS.ProcessEnv = {}): QueryApiService {
    const scratch = mkdtempSync(join(tmpdir(), 'tokenmeter-compose-catalog-'));
    try {
      const envFile = join(scratch, 'empty.env');
      writeFileSync(envFile, '');
      const result = run(
        toolPath('docker-compose'),
        ['--env-file', envFile, '-f', join(repoRoot, 'docker-compose.yml'), 'config', '--format', 'json'],
        {
          env: {
            PRICE_CATALOG_FILE: undefined,
            PRICE_CATALOG_HOST_FILE: undefined,
            DOCKER_HOST: 'unix:///nonexistent/docker.sock',
            ...env,
          },
        },
      );
      expectSuccess(result);
      const service = (JSON.parse(result.stdout) as { services: Record<string, QueryApiService> }).services[
        'query-api'
      ];
      if (service === undefined) throw new Error('no query-api service');
      return service;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  it('mounts the example catalog read-only where PRICE_CATALOG_FILE points', () => {
    const service = queryApiService();
    const path = service.environment?.PRICE_CATALOG_FILE;
    expect(path).toBe('/etc/tokenmeter/price-catalog.json');
    expect(service.volumes?.find((v) => v.target === path)).toMatchObject({
      type: 'bind',
      source: exampleFile,
      read_only: true,
    });
  });

  it('has an example the query API boots with: two models, one with a price change, two budgets', () => {
    const text = readFileSync(exampleFile, 'utf8');
    expect(catalogProblems(text)).toEqual([]);
    const catalog = JSON.parse(text) as { models: { prices: unknown[] }[]; budgets: { tenant: string }[] };
    expect(catalog.models.map((m) => m.prices.length).sort()).toEqual([1, 2]);
    expect(new Set(catalog.budgets.map((b) => b.tenant)).size).toBe(2);
  });

  it('mounts another catalog from PRICE_CATALOG_HOST_FILE, and none when PRICE_CATALOG_FILE is set empty', () => {
    const mine = queryApiService({ PRICE_CATALOG_HOST_FILE: '/srv/prices.json' });
    expect(mine.volumes?.find((v) => v.target === '/etc/tokenmeter/price-catalog.json')?.source).toBe(
      '/srv/prices.json',
    );
    // The app reads an empty variable as unset: no catalog, /v1/costs answers 404.
    expect(queryApiService({ PRICE_CATALOG_FILE: '' }).environment?.PRICE_CATALOG_FILE).toBe('');
  });
});
