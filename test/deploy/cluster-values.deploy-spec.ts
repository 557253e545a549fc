// The values `make deploy` installs each topology with (deploy/cluster/values/<topology>/), checked
// across charts: what one chart declares, another consumes, and nothing but helm template can
// show that the two agree. Renders the charts offline, exactly as scripts/cluster/cluster.sh
// passes the files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, renderCluster } from './support/cluster-render';
import { repoRoot } from './support/tools';

const valuesDir = join(repoRoot, 'deploy', 'cluster', 'values');
const topologies = readdirSync(valuesDir).filter((t) => existsSync(join(valuesDir, t, 'tokenmeter.yaml')));

interface DeclaredTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** The topics the kafka chart's topics Job makes, parsed from its TOPICS lines. */
function declaredTopics(manifests: Manifest[]): DeclaredTopic[] {
  const job = manifests.find((m) => m.kind === 'Job' && m.metadata.name === 'kafka-topics');
  if (job === undefined) return [];
  const containers = (job.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } })
    .template.spec.containers;
  const lines = containers[0]?.env.find((e) => e.name === 'TOPICS')?.value ?? '';
  return lines
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', partitions = '0', rf = '0', configs = '-'] = line.trim().split(/\s+/);
      const pairs =
        configs === '-'
          ? []
          : configs.split(',').map((kv): [string, string] => {
              const [key = '', value = ''] = kv.split('=', 2);
              return [key, value];
            });
      const config: Record<string, string> = Object.fromEntries(pairs);
      return { name, partitions: Number(partitions), replicationFactor: Number(rf), config };
    });
}

describe.each(topologies)('deploy/cluster/values/%s', (topology) => {
  const brokers = topology === 'ha' ? 3 : 1;
  let topics: DeclaredTopic[];
  let configMaps: Manifest[];
  beforeAll(() => {
    topics = declaredTopics(renderCluster(topology, 'kafka'));
    configMaps = renderCluster(topology, 'tokenmeter').filter((m) => m.kind === 'ConfigMap');
  });

  it('declares the topics once, in the kafka chart, and no service creates topics', () => {
    const kafkaClients = configMaps.filter((m) => m.data?.KAFKA_BROKERS !== undefined);
    expect(kafkaClients.map((m) => m.metadata.name).sort()).toEqual(['tokenmeter-processor', 'tokenmeter-producer']);
    for (const client of kafkaClients) {
      expect({ name: client.metadata.name, create: client.data?.KAFKA_CREATE_TOPICS }).toEqual({
        name: client.metadata.name,
        create: 'false',
      });
    }
  });

  it('declares every topic the services use, with the partitions the processor scales to', () => {
    for (const client of configMaps.filter((m) => m.data?.KAFKA_BROKERS !== undefined)) {
      const data = client.data ?? {};
      for (const key of ['KAFKA_TOPIC_TOKENS', 'KAFKA_TOPIC_GPU', 'KAFKA_TOPIC_DLQ']) {
        const topic = topics.find((t) => t.name === data[key]);
        expect({ key, declared: topic?.name }).toEqual({ key, declared: data[key] });
        if (key !== 'KAFKA_TOPIC_DLQ') {
          expect(topic?.partitions).toBe(Number(data.KAFKA_TOPIC_PARTITIONS));
        }
      }
    }
  });

  it(`replicates every topic ${brokers} times, with min.insync.replicas below that`, () => {
    expect(topics.length).toBeGreaterThanOrEqual(3);
    for (const topic of topics) {
      expect({ name: topic.name, rf: topic.replicationFactor }).toEqual({ name: topic.name, rf: brokers });
      if (brokers > 1) {
        expect({ name: topic.name, minIsr: topic.config['min.insync.replicas'] }).toEqual({
          name: topic.name,
          minIsr: String(brokers - 1),
        });
      }
      expect(Number(topic.config['retention.ms'])).toBeGreaterThan(0);
    }
  });
});

describe('deploy/cluster/values/ha: stateful data survives a node replacement', () => {
  const storageClass = 'ebs-gp3'; // deploy/terraform ebs_csi.storage_class_name (terraform.deploy-spec checks it)
  interface StatefulSetSpec {
    volumeClaimTemplates: { spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[];
    template: {
      spec: {
        affinity?: { podAntiAffinity?: Record<string, unknown> };
        containers: { env?: { name: string; value?: string }[] }[];
      };
    };
  }
  const statefulSet = (chart: string): StatefulSetSpec => {
    const found = renderCluster('ha', chart).find((m) => m.kind === 'StatefulSet');
    if (found?.spec === undefined) throw new Error(`no StatefulSet rendered for ${chart}`);
    return found.spec as unknown as StatefulSetSpec;
  };
  const gib = (quantity: string): number => {
    const match = /^(\d+)Gi$/.exec(quantity);
    if (match === null) throw new Error(`expected a size in Gi, got ${quantity}`);
    return Number(match[1]) * 2 ** 30;
  };

  it.each(['kafka', 'mongodb'])('%s keeps its data on the EBS StorageClass, one pod per node', (chart) => {
    const spec = statefulSet(chart);
    expect(spec.volumeClaimTemplates[0]?.spec.storageClassName).toBe(storageClass);
    expect(Object.keys(spec.template.spec.affinity?.podAntiAffinity ?? {})).toEqual([
      'requiredDuringSchedulingIgnoredDuringExecution',
    ]);
  });

  it('bounds Kafka logs by size so they fit the volume: broker default and every topic', () => {
    const spec = statefulSet('kafka');
    const env = Object.fromEntries((spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    const brokerRetention = Number(env.KAFKA_LOG_RETENTION_BYTES);
    const brokerSegment = Number(env.KAFKA_LOG_SEGMENT_BYTES);
    expect(brokerRetention).toBeGreaterThan(0);
    expect(brokerSegment).toBeGreaterThan(0);
    const volume = gib(spec.volumeClaimTemplates[0]?.spec.resources.requests.storage ?? '');
    const brokers = 3;
    const topics = declaredTopics(renderCluster('ha', 'kafka'));
    // Every replica of a partition lives on some broker; spread evenly, each holds this many.
    const perBroker = topics.reduce((sum, t) => {
      const retention = Number(t.config['retention.bytes'] ?? brokerRetention);
      const segment = Number(t.config['segment.bytes'] ?? brokerSegment);
      // A partition may hold one active segment past retention.bytes.
      return sum + ((t.partitions * t.replicationFactor) / brokers) * (retention + segment);
    }, 0);
    expect(topics.every((t) => Number(t.config['retention.bytes']) > 0)).toBe(true);
    expect(perBroker).toBeLessThanOrEqual(0.7 * volume);
  });

  it('installs Prometheus and Loki on the EBS StorageClass for ha', () => {
    const overlay = (file: string): string =>
      readFileSync(join(repoRoot, 'deploy', 'cluster', 'monitoring', 'ha', file), 'utf8');
    expect(overlay('kube-prometheus-stack-values.yaml')).toMatch(new RegExp(`storageClassName: ${storageClass}\\n`));
    expect(overlay('loki-values.yaml')).toMatch(new RegExp(`storageClass: ${storageClass}\\n`));
    const script = readFileSync(join(repoRoot, 'scripts', 'cluster', 'cluster.sh'), 'utf8');
    expect(script).toContain('overlay=deploy/cluster/monitoring/$TOPOLOGY');
  });
});
