// What `make monitoring` and `make deploy` wire between the third-party monitoring charts and ours,
// checked offline: the values files (deploy/cluster/monitoring/), the Secrets scripts/cluster/cluster.sh
// creates for them, and our charts rendered with the cluster values. The third-party charts
// themselves cannot be rendered here (no chart repository), so their values are read as data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderCluster } from './support/cluster-render';
import { repoRoot } from './support/tools';

const monitoringDir = join(repoRoot, 'deploy', 'cluster', 'monitoring');
const clusterScript = readFileSync(join(repoRoot, 'scripts', 'cluster', 'cluster.sh'), 'utf8');
const deployDocs = readFileSync(join(repoRoot, 'docs', 'DEPLOY.md'), 'utf8');

function values<T>(file: string): T {
  return parse(readFileSync(join(monitoringDir, file), 'utf8')) as T;
}

/** Secrets cluster.sh creates (ensure_secret / apply_secret) in `monitoring` or in "$NAMESPACE". */
function secretsCreatedIn(namespace: 'monitoring' | '$NAMESPACE'): string[] {
  const quoted = namespace === '$NAMESPACE' ? '"\\$NAMESPACE"' : 'monitoring';
  return [...clusterScript.matchAll(new RegExp(`(?:ensure|apply)_secret ${quoted} ([a-z0-9-]+)`, 'g'))].map(
    (m) => m[1] ?? '',
  );
}

interface KpsValues {
  grafana: {
    env?: Record<string, string>;
    envValueFrom?: Record<string, { secretKeyRef: { name: string; key: string } }>;
    additionalDataSources: {
      uid: string;
      type: string;
      url: string;
      jsonData?: Record<string, unknown>;
      secureJsonData?: Record<string, string>;
    }[];
  };
  alertmanager: {
    config?: {
      route: { receiver: string };
      receivers: { name: string; webhook_configs?: { url_file?: string; url?: string }[] }[];
    };
    alertmanagerSpec: { secrets?: string[] };
  };
  additionalPrometheusRulesMap?: Record<
    string,
    { groups: { rules: { alert: string; expr: string; labels?: Record<string, string> }[] }[] }
  >;
}

describe('deploy/cluster/monitoring: dashboards, alerts and store metrics wired in the cluster', () => {
  const kps = values<KpsValues>('kube-prometheus-stack-values.yaml');

  describe('Grafana', () => {
    it('installs a pinned Infinity plugin, the fleet dashboard data source', () => {
      expect(kps.grafana.env?.GF_PLUGINS_PREINSTALL).toMatch(/^yesoreyeram-infinity-datasource@\d+\.\d+\.\d+$/);
    });

    it('provisions the query API as an Infinity data source with the uid the dashboards use', () => {
      const infinity = kps.grafana.additionalDataSources.find((d) => d.type === 'yesoreyeram-infinity-datasource');
      expect(infinity).toMatchObject({
        uid: 'tokenmeter-query-api',
        url: 'http://tokenmeter-query-api.tokenmeter.svc.cluster.local',
        jsonData: { auth_method: 'bearerToken' },
      });
      const compose = parse(
        readFileSync(
          join(repoRoot, 'deploy', 'compose', 'grafana', 'provisioning', 'datasources', 'tokenmeter.yml'),
          'utf8',
        ),
      ) as { datasources: { uid: string; type: string }[] };
      expect(compose.datasources.map((d) => d.uid)).toContain(infinity?.uid);
    });

    it('reads the API key from a Secret cluster.sh creates, never from the values', () => {
      const infinity = kps.grafana.additionalDataSources.find((d) => d.type === 'yesoreyeram-infinity-datasource');
      const token = /^\$__env\{([A-Z_]+)\}$/.exec(infinity?.secureJsonData?.bearerToken ?? '');
      expect(token).not.toBeNull();
      const ref = kps.grafana.envValueFrom?.[token?.[1] ?? '']?.secretKeyRef;
      expect(ref?.name).toBeDefined();
      expect(secretsCreatedIn('monitoring')).toContain(ref?.name);
    });

    it.each(['single', 'ha'])('%s: the key is read-only: only the query API accepts it', (topology) => {
      const manifests = renderCluster(topology, 'tokenmeter');
      const deployments = manifests.filter((m) => m.kind === 'Deployment');
      const envOf = (name: string) =>
        (
          deployments.find((d) => d.metadata.name === name)?.spec as {
            template: { spec: { containers: { env?: { name: string; valueFrom?: unknown }[] }[] } };
          }
        ).template.spec.containers[0]?.env ?? [];
      const secretNames = (name: string) => JSON.stringify(envOf(name));
      expect(secretsCreatedIn('$NAMESPACE')).toContain('tokenmeter-query-api-keys');
      expect(secretNames('tokenmeter-query-api')).toContain('tokenmeter-query-api-keys');
      expect(secretNames('tokenmeter-producer')).not.toContain('tokenmeter-query-api-keys');
      // Grafana (monitoring namespace) may reach the query API through its NetworkPolicy.
      const policy = manifests.find((m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'tokenmeter-query-api');
      expect(JSON.stringify(policy?.spec)).toMatch(
        /"kubernetes.io\/metadata.name":"monitoring".*"app.kubernetes.io\/name":"grafana"/,
      );
    });
  });

  describe('Alertmanager', () => {
    it('sends alerts to a receiver whose URL comes from a mounted Secret cluster.sh creates', () => {
      const config = kps.alertmanager.config;
      expect(config?.route.receiver).toBeDefined();
      expect(config?.route.receiver).not.toBe('null');
      const receiver = config?.receivers.find((r) => r.name === config.route.receiver);
      const urlFile = receiver?.webhook_configs?.[0]?.url_file ?? '';
      const secret = /^\/etc\/alertmanager\/secrets\/([a-z0-9-]+)\//.exec(urlFile)?.[1];
      expect(secret).toBeDefined();
      expect(kps.alertmanager.alertmanagerSpec.secrets).toContain(secret);
      expect(secretsCreatedIn('monitoring')).toContain(secret);
    });

    it('is configurable and documented: ALERT_WEBHOOK_URL', () => {
      expect(clusterScript).toMatch(/ALERT_WEBHOOK_URL/);
      expect(deployDocs).toMatch(/ALERT_WEBHOOK_URL/);
    });
  });

  describe('Kafka and MongoDB metrics and alerts', () => {
    const rules = Object.values(kps.additionalPrometheusRulesMap ?? {}).flatMap((r) =>
      r.groups.flatMap((g) => g.rules),
    );
    const alertOn = (metric: RegExp) => rules.filter((r) => metric.test(r.expr)).map((r) => r.alert);

    it.each([
      ['under-replicated partitions', /kafka_topic_partition_under_replicated_partition/],
      ['offline partitions', /kafka_topic_partitions[\s\S]*kafka_topic_partition_leader/],
      ['disk use', /kubelet_volume_stats_used_bytes[\s\S]*kubelet_volume_stats_capacity_bytes/],
      ['replica-set member state', /mongodb_mongod_replset_my_state/],
      ['oplog window', /mongodb_mongod_replset_oplog_head_timestamp - mongodb_mongod_replset_oplog_tail_timestamp/],
    ])('alerts on %s', (_name, metric) => {
      expect(alertOn(metric).length).toBeGreaterThan(0);
    });

    it('installs kafka-exporter and mongodb_exporter at pinned versions, scraped by kube-prometheus-stack', () => {
      const versions = readFileSync(join(repoRoot, 'deploy', 'cluster', 'versions.env'), 'utf8');
      expect(versions).toMatch(/^KAFKA_EXPORTER_CHART_VERSION=\d+\.\d+\.\d+$/m);
      expect(versions).toMatch(/^MONGODB_EXPORTER_CHART_VERSION=\d+\.\d+\.\d+$/m);
      expect(clusterScript).toMatch(
        /prometheus-community\/prometheus-kafka-exporter[^\n]*\n[^\n]*KAFKA_EXPORTER_CHART_VERSION[^\n]*kafka-exporter-values\.yaml/,
      );
      expect(clusterScript).toMatch(
        /prometheus-community\/prometheus-mongodb-exporter[^\n]*\n[^\n]*MONGODB_EXPORTER_CHART_VERSION[^\n]*mongodb-exporter-values\.yaml/,
      );
      const kafkaExporter = values<{ prometheus: { serviceMonitor: { enabled: boolean; additionalLabels: object } } }>(
        'kafka-exporter-values.yaml',
      );
      expect(kafkaExporter.prometheus.serviceMonitor).toMatchObject({
        enabled: true,
        additionalLabels: { release: 'kube-prometheus-stack' },
      });
      const mongoExporter = values<{
        extraArgs: string[];
        existingSecret: { name: string };
        serviceMonitor: { additionalLabels: object };
      }>('mongodb-exporter-values.yaml');
      expect(mongoExporter.extraArgs).toEqual(
        expect.arrayContaining(['--collector.replicasetstatus', '--compatible-mode']),
      );
      expect(mongoExporter.serviceMonitor.additionalLabels).toEqual({ release: 'kube-prometheus-stack' });
      expect(secretsCreatedIn('$NAMESPACE')).toContain(mongoExporter.existingSecret.name);
    });

    it.each(['single', 'ha'])(
      '%s: the stores admit their exporters and MongoDB creates the monitoring user',
      (topology) => {
        const kafkaPolicy = renderCluster(topology, 'kafka').find(
          (m) => m.kind === 'NetworkPolicy' && m.metadata.name === 'kafka',
        );
        expect(JSON.stringify(kafkaPolicy?.spec)).toContain('"app":"prometheus-kafka-exporter"');
        const mongodb = renderCluster(topology, 'mongodb');
        const withMetricsUser = mongodb.filter((m) => /METRICS_USERNAME/.test(JSON.stringify(m.spec ?? {})));
        expect(withMetricsUser.length).toBeGreaterThan(0);
        const mongoExporter = values<{ podLabels: Record<string, string> }>('mongodb-exporter-values.yaml');
        expect(mongoExporter.podLabels).toEqual({ 'tokenmeter.io/mongodb-client': 'true' });
      },
    );
  });
});

describe('long-term storage (LONG_TERM=1 make monitoring)', () => {
  it('points the Thanos sidecar at the object store Secret cluster.sh writes', () => {
    const kps = values<{
      prometheus: {
        prometheusSpec: { thanos: { objectStorageConfig: { existingSecret: { name: string; key: string } } } };
      };
    }>('long-term/kube-prometheus-stack-values.yaml');
    const secret = kps.prometheus.prometheusSpec.thanos.objectStorageConfig.existingSecret;
    expect(secret.key).toBe('objstore.yml');
    expect(secretsCreatedIn('monitoring')).toContain(secret.name);
    expect(clusterScript).toMatch(/apply_secret monitoring thanos-objstore "objstore\.yml=/);
  });

  it('keeps Loki on S3 with compactor retention, the key from a Secret cluster.sh writes', () => {
    const loki = values<{
      loki: {
        storage: { type: string; s3: { accessKeyId: string } };
        schemaConfig: { configs: { object_store: string }[] };
        compactor: { retention_enabled: boolean; delete_request_store: string };
        limits_config: { retention_period: string };
      };
      singleBinary: { extraArgs: string[]; extraEnvFrom: { secretRef: { name: string } }[] };
    }>('long-term/loki-values.yaml');
    expect(loki.loki.storage.type).toBe('s3');
    expect(loki.loki.schemaConfig.configs.map((c) => c.object_store)).toEqual(['s3']);
    expect(loki.loki.compactor).toEqual({ retention_enabled: true, delete_request_store: 's3' });
    expect(loki.loki.storage.s3.accessKeyId).toBe('${AWS_ACCESS_KEY_ID}');
    expect(loki.singleBinary.extraArgs).toContain('-config.expand-env=true');
    const [envFrom] = loki.singleBinary.extraEnvFrom;
    expect(secretsCreatedIn('monitoring')).toContain(envFrom?.secretRef.name);
    // The bucket names and the retention come from Terraform's output, not from the placeholders.
    for (const key of ['chunks', 'ruler', 'admin']) {
      expect(clusterScript).toContain(`--set "loki.storage.bucketNames.${key}=$logs"`);
    }
    expect(clusterScript).toContain('loki.limits_config.retention_period=');
  });
});
