// One fault-injection scenario's world (issue 3): its own topics, consumer groups and database
// on the shared Kafka and FerretDB, the built producer and 1..n processors as child processes,
// and the cleanup that removes all of it. Scenarios drive faults through it; fault-checker.ts
// decides whether the outcome is exact.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Admin, type Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { serverEnv, runId } from './env';
import { expectEventually } from './eventually';
import { HttpLoader, type LoaderOptions } from './http-loader';
import { deleteTopicsAndGroups, testKafka } from './kafka-test-utils';
import { dropDatabase } from './mongo-test-utils';
import { portBlock, type RunningService, startService, stopService } from './services';

export const PARTITIONS = 6;
const ROOT = path.resolve(__dirname, '..', '..');

export interface Topics {
  tokens: string;
  gpu: string;
  dlq: string;
}

export class FaultRun {
  readonly id = runId();
  readonly startedMs = Date.now();
  /** Time budget of the whole scenario (load, faults, drain); waits fail early when it cannot be met. */
  readonly budgetS = Number(process.env.FAULT_SCENARIO_BUDGET_S ?? 420);
  readonly deadlineMs = this.startedMs + this.budgetS * 1000;
  /** Messages the scenario will put on each topic: waits project their throughput onto all of them. */
  readonly expectedMessages = new Map<string, number>();
  readonly topics: Topics;
  readonly dbName: string;
  readonly groupPrefix: string;
  readonly logDir: string;
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  private readonly basePort = portBlock().producer;
  private readonly processors = new Map<number, RunningService>();
  private producer: RunningService | undefined;
  private readonly loaders: HttpLoader[] = [];
  private adminConnected = false;

  constructor(readonly scenario: string) {
    const { kafkaBrokers, mongoUrl } = serverEnv();
    this.kafkaBrokers = kafkaBrokers;
    this.mongoUrl = mongoUrl;
    const name = `fault-${scenario}-${this.id}`;
    this.topics = { tokens: `${name}.tokens`, gpu: `${name}.gpu`, dlq: `${name}.dlq` };
    this.dbName = `tm_fault_${scenario.replace(/[^A-Za-z0-9]/g, '_')}_${this.id}`;
    this.groupPrefix = name;
    this.logDir = path.join(ROOT, '.local', 'test-logs', name);
    mkdirSync(this.logDir, { recursive: true });
    this.kafka = testKafka(kafkaBrokers, `${name}-test`);
    this.admin = this.kafka.admin();
  }

  /** The environment every service of this scenario gets. */
  get env(): Record<string, string> {
    return {
      KAFKA_BROKERS: this.kafkaBrokers,
      MONGO_URL: this.mongoUrl,
      MONGO_DB: this.dbName,
      KAFKA_TOPIC_TOKENS: this.topics.tokens,
      KAFKA_TOPIC_GPU: this.topics.gpu,
      KAFKA_TOPIC_DLQ: this.topics.dlq,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      PROCESSOR_GROUP_PREFIX: this.groupPrefix,
      PRODUCER_RETRY_AFTER_S: '1',
      LOG_LEVEL: 'info',
    };
  }

  groupOf(topic: string): string {
    return `${this.groupPrefix}.${topic}`;
  }

  async connectAdmin(): Promise<Admin> {
    if (!this.adminConnected) {
      await this.admin.connect();
      this.adminConnected = true;
    }
    return this.admin;
  }

  /** Processor `slot` (0, 1, 2, ...): its own port and log file, the scenario's group prefix. */
  async startProcessor(slot = 0, extraEnv: Record<string, string> = {}): Promise<RunningService> {
    const service = await startService(
      'processor',
      this.basePort + 1 + slot,
      { ...this.env, ...extraEnv },
      path.join(this.logDir, `processor-${slot}`),
    );
    this.processors.set(slot, service);
    return service;
  }

  processor(slot = 0): RunningService {
    const service = this.processors.get(slot);
    if (service === undefined) throw new Error(`no processor in slot ${slot}`);
    return service;
  }

  /** SIGKILL: no shutdown hook runs, the batch in flight is cut wherever it was. */
  async killProcessor(slot = 0): Promise<void> {
    const service = this.processor(slot);
    service.process.kill('SIGKILL');
    await service.exitCode;
    this.processors.delete(slot);
  }

  /** SIGTERM, like a scale-in: resolves with the exit code of the graceful shutdown. */
  async stopProcessor(slot: number): Promise<number | null> {
    const code = await stopService(this.processor(slot));
    this.processors.delete(slot);
    return code;
  }

  async startProducer(): Promise<RunningService> {
    this.producer = await startService('producer', this.basePort, this.env, path.join(this.logDir, 'producer'));
    return this.producer;
  }

  loader(kind: 'tokens' | 'gpus', options: Partial<LoaderOptions> = {}): HttpLoader {
    if (this.producer === undefined) throw new Error('start the producer first');
    const loader = new HttpLoader({ url: `${this.producer.baseUrl}/v1/${kind}`, concurrency: 3, ...options });
    this.loaders.push(loader);
    return loader;
  }

  /** The processor's readiness status code (0 when it does not answer at all). */
  async readiness(slot = 0): Promise<number> {
    try {
      const res = await fetch(`${this.processor(slot).baseUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** The processor's liveness answer (status 0 when it does not answer at all). */
  async liveness(slot = 0): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(`${this.processor(slot).baseUrl}/health/live`, { signal: AbortSignal.timeout(15_000) });
      return { status: res.status, body: await res.text() };
    } catch (error) {
      return { status: 0, body: String(error) };
    }
  }

  /**
   * Polls the processor's `tokenmeter_processor_batch_stage` until its consumer of `topic` is in
   * `stage` (raw insert, rollup writes, idle between batches, ...): faults land in a chosen step.
   */
  async waitForStage(topic: string, stages: string | readonly string[], timeoutMs: number, slot = 0): Promise<string> {
    const wanted = typeof stages === 'string' ? [stages] : stages;
    return expectEventually(
      async () => {
        for (const stage of wanted) {
          if ((await this.metric('tokenmeter_processor_batch_stage', { topic, stage }, slot)) === 1) return stage;
        }
        throw new Error(`the consumer of ${topic} is in none of ${wanted.join(', ')}`);
      },
      { timeoutMs, intervalMs: 20, description: `processor ${slot} in stage ${wanted.join(' or ')}` },
    );
  }

  /** Polls until the processor's readiness answers `status`. */
  async expectReadiness(status: number, timeoutMs: number, slot = 0): Promise<number> {
    const started = Date.now();
    await expectEventually(
      async () => {
        const got = await this.readiness(slot);
        if (got !== status) throw new Error(`/health/ready answered ${got}`);
      },
      { timeoutMs, intervalMs: 250, description: `processor ${slot} /health/ready ${status}` },
    );
    return Date.now() - started;
  }

  /** A processor counter from /metrics, summed over the series matching `labels`. */
  async metric(name: string, labels: Record<string, string>, slot = 0): Promise<number> {
    const res = await fetch(`${this.processor(slot).baseUrl}/metrics`);
    const text = await res.text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  /** Per running processor: batches, their average size and duration, outcomes (where the time went). */
  async processorStats(): Promise<string> {
    const lines: string[] = [];
    for (const [slot, service] of this.processors) {
      const text = await fetch(`${service.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
        .then((r) => r.text())
        .catch(() => '');
      const value = (name: string, topic: string, extra = '') => {
        const line = text
          .split('\n')
          .find((l) => l.startsWith(`${name}{`) && l.includes(`topic="${topic}"`) && l.includes(extra));
        return Number(line?.split(' ').pop() ?? 0);
      };
      for (const topic of [this.topics.tokens, this.topics.gpu]) {
        const batches = value('tokenmeter_processor_batch_size_count', topic);
        if (batches === 0) continue;
        const outcomes = ['consumed', 'stored', 'duplicate', 'dead_lettered']
          .map((o) => `${o} ${value('tokenmeter_processor_events_total', topic, `outcome="${o}"`)}`)
          .join(', ');
        lines.push(
          `processor ${slot} ${topic}: ${batches} batches, ` +
            `${(value('tokenmeter_processor_batch_size_sum', topic) / batches).toFixed(0)} messages and ` +
            `${(value('tokenmeter_processor_batch_duration_seconds_sum', topic) / batches).toFixed(2)} s per batch on average, ` +
            `${outcomes}, write failures ${value('tokenmeter_processor_write_failures_total', topic)}`,
        );
      }
    }
    return lines.join('\n');
  }

  /** One line per scenario, printed and kept in .local/test-logs/fault-summary.log. */
  summary(line: string): void {
    const text = `[fault ${this.scenario}] ${line}`;
    process.stdout.write(`${text}\n`);
    appendFileSync(
      path.join(ROOT, '.local', 'test-logs', 'fault-summary.log'),
      `${new Date().toISOString()} ${text}\n`,
    );
  }

  /** The last `count` lines of the processors' logs that match `keep`, oldest first. */
  logTail(keep: (line: string) => boolean, count: number): string[] {
    const lines: string[] = [];
    for (const dir of readdirSync(this.logDir).filter((d) => d.startsWith('processor-'))) {
      const file = path.join(this.logDir, dir, 'processor.log');
      if (!existsSync(file)) continue;
      lines.push(
        ...readFileSync(file, 'utf8')
          .split('\n')
          .filter(keep)
          .map((l) => `${dir}: ${l}`),
      );
    }
    return lines.slice(-count);
  }

  /** Writes `lines` to a file in the scenario's log folder and returns its path. */
  writeLog(name: string, lines: string[]): string {
    const file = path.join(this.logDir, name);
    appendFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  private async databaseExists(): Promise<boolean> {
    const client = new MongoClient(this.mongoUrl, { serverSelectionTimeoutMS: 5_000 });
    try {
      const { databases } = await client.db().admin().listDatabases({ nameOnly: true });
      return databases.some((d) => d.name === this.dbName);
    } finally {
      await client.close();
    }
  }

  /** Stops every service (SIGKILL if a graceful stop hangs), drops the database, deletes topics and groups. */
  async close(): Promise<void> {
    for (const loader of this.loaders) loader.stop();
    const services = [...this.processors.values(), ...(this.producer === undefined ? [] : [this.producer])];
    await Promise.all(
      services.map(async (s) => {
        const timer = setTimeout(() => s.process.kill('SIGKILL'), 30_000);
        await stopService(s);
        clearTimeout(timer);
      }),
    );
    this.processors.clear();
    // A write a killed processor left in flight at the server can recreate the database after a
    // drop (an upsert creates it): drop until it stays gone.
    await expectEventually(
      async () => {
        await dropDatabase(this.mongoUrl, this.dbName);
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (await this.databaseExists()) throw new Error(`${this.dbName} came back after the drop`);
      },
      { timeoutMs: 60_000, intervalMs: 1_000, description: `drop ${this.dbName}` },
    ).catch((error: unknown) => process.stderr.write(`could not drop ${this.dbName}: ${String(error)}\n`));
    try {
      await this.connectAdmin();
      await deleteTopicsAndGroups(
        this.admin,
        [this.topics.tokens, this.topics.gpu, this.topics.dlq],
        [this.groupOf(this.topics.tokens), this.groupOf(this.topics.gpu)],
      );
    } catch (error) {
      process.stderr.write(`could not delete the topics of ${this.scenario}: ${String(error)}\n`);
    } finally {
      await this.admin.disconnect().catch(() => undefined);
    }
  }
}
