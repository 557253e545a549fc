/**
 * `npm run bench` — a benchmark, not a test (issue 7). On the local Kafka and database it
 * measures, in one run:
 *
 *   1. the ceilings: Kafka's own producer and consumer perf tools on the same broker with the
 *      same payloads and partitions, and the database's raw bulk-insert rate with the MongoDB
 *      driver for the same documents and batch size the processor used;
 *   2. tokenmeter's producer alone: its ingest rate with the load generator flat out, into a
 *      topic nothing reads;
 *   3. tokenmeter's processor alone: 1, 2 and 3 instances (each a fresh group and database)
 *      draining the same preloaded backlog on a 6-partition topic; one instance's rate is the
 *      stored rate, its mean batch size the DB ceiling's batch size;
 *   4. both at once: the sustained rate, stored while 1.5× one processor's rate is offered;
 *   5. end-to-end latency (request sent → the event readable through the query API) at 25%,
 *      50% and 90% of the sustained rate;
 *   6. CPU per 10,000 events and peak RSS of producer and processor.
 *
 * Writes bench/results/pipeline-latest.json and .svg. Options (options.ts, `--help`):
 *
 *   npm run bench -- [--scale 1] [--keep] [--processor-node-options '…']
 *   node -r @swc-node/register scripts/bench/pipeline/main.ts --redraw bench/results/pipeline-latest.json
 *
 * Needs KAFKA_BROKERS and MONGO_URL (scripts/bench/pipeline-bench.sh starts the local servers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type TokenUsageEvent } from '@tokenmeter/contracts';
import { FleetSimulator } from '@tokenmeter/simulator';
import {
  dialectFor,
  RAW_COLLECTIONS,
  rawIndexesFor,
  type RawListingMethod,
  storedRawDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { type Exposition, parsePrometheusText } from '@tokenmeter/telemetry';
import { type Document, MongoClient } from 'mongodb';
import { latencySummary, type LoadSummary } from '../../../tools/loadgen/src';
import {
  type RunningService,
  type ServiceName,
  startService,
  stopService,
} from '../../../tools/service-runner/service-runner';
import { renderChart } from './chart';
import { createTopic, deleteTopic, kafkaConsumerPerf, kafkaProducerPerf, SpawnRunner } from './kafka-perf';
import { type ProbeOutcome, runLatencyProbes } from './latency-probe';
import { type BenchOptions, type BenchSizes, benchSizes, parseBenchArgs, USAGE } from './options';
import { processUsage } from './proc-stats';
import type { LatencyLevel, MachineInfo, PipelineBenchResults, ScalingPoint } from './results';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The load generator's command line, run from its TypeScript as `npm run loadgen` does. */
const LOADGEN_CLI = path.join(ROOT, 'tools', 'loadgen', 'src', 'main.ts');
const PARTITIONS = 6;
const REQUEST_BATCH = 1_000;
const LOAD_CONCURRENCY = 4;
/** A rate the producer cannot reach on any machine we know: the load generator runs flat out. */
const FLAT_OUT_PER_SEC = 200_000;
const LATENCY_FRACTIONS = [0.25, 0.5, 0.9] as const;
/** Latency probes: 5 per second, read every 50 ms, at most 4 out (≤ 80 point reads/s). */
const PROBES = { everyMs: 200, pollMs: 50, maxPending: 4, timeoutMs: 30_000 } as const;
const DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Bench ports: above the ephemeral range, away from the test tiers' 61000-64999 blocks. */
const PORT_BASE = 65_100;

/** One run of the bench: its options, and the topics, databases and log folder it owns. */
interface BenchRun {
  readonly options: BenchOptions;
  readonly sizes: BenchSizes;
  readonly id: string;
  readonly db: string;
  readonly topics: Readonly<Record<'tokens' | 'gpu' | 'dlq' | 'ceiling' | 'ingest' | 'backlog', string>>;
  readonly logDir: string;
}

function newRun(options: BenchOptions): BenchRun {
  const id = `bench-${Date.now().toString(36)}`;
  return {
    options,
    sizes: benchSizes(options.scale),
    id,
    db: `tm_${id.replace('-', '_')}`,
    topics: {
      tokens: `${id}.tokens`,
      gpu: `${id}.gpu`,
      dlq: `${id}.dlq`,
      ceiling: `${id}.ceiling`,
      ingest: `${id}.ingest`,
      backlog: `${id}.backlog`,
    },
    logDir: path.join(ROOT, '.local', 'bench-logs', id),
  };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Events: the load generator's simulator, so every phase uses the same shape and size.

interface SampleEvents {
  events: TokenUsageEvent[];
  /** Mean JSON size of an event. */
  eventBytes: number;
}

function sampleEvents(count: number, seed: number): SampleEvents {
  const simulator = new FleetSimulator({ seed, eventsPerSecond: 1_000, diurnalAmplitude: 0 });
  const start = Date.now() - 60_000;
  const events = Array.from(
    { length: count },
    (_, i) => simulator.tokenEventAt(start + Math.floor(i / 100)) as TokenUsageEvent,
  );
  const eventBytes = Math.round(
    events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) / events.length,
  );
  return { events, eventBytes };
}

// ---------------------------------------------------------------------------------------------
// Services

/** The services the run started, on its topics and databases; `stopAll` stops whatever is left. */
class BenchServices {
  private readonly running: RunningService[] = [];

  constructor(private readonly run: BenchRun) {}

  async start(name: ServiceName, port: number, extra: Record<string, string> = {}, dir = ''): Promise<RunningService> {
    const { options, topics } = this.run;
    const env = {
      KAFKA_BROKERS: options.kafkaBrokers,
      MONGO_URL: options.mongoUrl,
      MONGO_DB: this.run.db,
      KAFKA_TOPIC_TOKENS: topics.tokens,
      KAFKA_TOPIC_GPU: topics.gpu,
      KAFKA_TOPIC_DLQ: topics.dlq,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      PROCESSOR_GROUP_PREFIX: this.run.id,
      PRODUCER_RATE_LIMIT_PER_MINUTE: '0',
      // The latency probes read the query API up to 80 times a second from one address.
      QUERY_RATE_LIMIT_PER_MINUTE: '0',
      SIMULATOR_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      NODE_OPTIONS: name === 'processor' ? options.processorNodeOptions : '',
      ...extra,
    };
    const service = await startService(name, port, env, path.join(this.run.logDir, dir));
    this.running.push(service);
    return service;
  }

  async stop(service: RunningService): Promise<void> {
    await stopService(service);
    this.running.splice(this.running.indexOf(service), 1);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.map((s) => stopService(s)));
  }
}

async function scrape(service: RunningService): Promise<Exposition> {
  const res = await fetch(`${service.baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`${service.name} /metrics answered ${res.status}`);
  return parsePrometheusText(await res.text());
}

/** Sum of a metric's samples whose labels include `labels`. */
async function metricSum(services: RunningService[], name: string, labels: Record<string, string>): Promise<number> {
  let sum = 0;
  for (const service of services) {
    for (const sample of (await scrape(service)).samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
    }
  }
  return sum;
}

const storedCount = (processors: RunningService[], topic: string): Promise<number> =>
  metricSum(processors, 'tokenmeter_processor_events_total', { topic, outcome: 'stored' });

function pidOf(service: RunningService): number {
  const pid = service.process.pid;
  if (pid === undefined) throw new Error(`${service.name} has no pid`);
  return pid;
}

// ---------------------------------------------------------------------------------------------
// Load, drain and probes

async function flatOut(run: BenchRun, producer: RunningService, seconds: number, label: string): Promise<LoadSummary> {
  return load(run, producer, FLAT_OUT_PER_SEC, seconds, label);
}

/**
 * Runs the load generator's command line (`npm run loadgen`) in its own process, as a user would:
 * in the bench's process it would share an event loop and a heap with everything else here.
 */
async function load(
  run: BenchRun,
  producer: RunningService,
  ratePerSecond: number,
  seconds: number,
  label: string,
): Promise<LoadSummary> {
  const summaryFile = path.join(run.logDir, `loadgen-${label.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.json`);
  const args = [
    ...['-r', '@swc-node/register', LOADGEN_CLI],
    ...['--target', producer.baseUrl, '--rate', String(ratePerSecond), '--duration', String(seconds)],
    ...['--batch', String(REQUEST_BATCH), '--concurrency', String(LOAD_CONCURRENCY), '--summary-json', summaryFile],
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  // Progress lines come on stderr, one per second.
  createInterface({ input: child.stderr }).on('line', (line) => say(`  ${label}: ${line}`));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 && code !== 1) throw new Error(`the load generator (${label}) exited with ${code}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as LoadSummary;
  const notAccepted = summary.tokens.sent - summary.tokens.accepted;
  if (notAccepted > 0)
    say(`  ${label}: ${fmt(notAccepted)} events not accepted (${JSON.stringify(summary.statusCounts)})`);
  return summary;
}

/** Waits until the processors stored `target` events; returns the rate from the first stored one. */
async function drain(processors: RunningService[], topic: string, target: number, label: string): Promise<number> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let first: { at: number; stored: number } | undefined;
  let lastReport = 0;
  for (;;) {
    const stored = await storedCount(processors, topic);
    const now = Date.now();
    if (first === undefined && stored > 0) first = { at: now, stored };
    if (now - lastReport >= 2_000) {
      say(`  ${label}: stored ${fmt(stored)} / ${fmt(target)}`);
      lastReport = now;
    }
    if (stored >= target) {
      if (first === undefined || now === first.at) return Number.NaN;
      return (stored - first.stored) / ((now - first.at) / 1000);
    }
    if (now > deadline)
      throw new Error(`${label}: only ${stored} of ${target} events stored after ${DRAIN_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Probes the pipeline while a load level runs (see latency-probe.ts). */
function probeLatency(producerUrl: string, queryUrl: string, durationMs: number): Promise<ProbeOutcome> {
  const simulator = new FleetSimulator({ seed: 7, eventsPerSecond: 1_000, diurnalAmplitude: 0 });
  return runLatencyProbes(
    {
      post: async () => {
        const event = { ...(simulator.tokenEventAt(Date.now()) as TokenUsageEvent), eventId: randomUUID() };
        const res = await fetch(`${producerUrl}/v1/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
        });
        await res.arrayBuffer();
        return res.status === 202 ? event.eventId : undefined;
      },
      readable: async (eventId) => {
        const res = await fetch(`${queryUrl}/v1/events/tokens/${eventId}`);
        await res.arrayBuffer();
        if (res.status !== 200 && res.status !== 404) throw new Error(`query API answered ${res.status}`);
        return res.status === 200;
      },
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    { durationMs, ...PROBES },
  );
}

// ---------------------------------------------------------------------------------------------
// The database and the machine

/** "FerretDB v1.24.2" or "MongoDB 8.0.4", from the server's buildInfo. */
async function databaseVersion(mongoUrl: string): Promise<string> {
  const client = new MongoClient(mongoUrl);
  try {
    const info = await client.db().admin().command({ buildInfo: 1 });
    return typeof info.ferretdbVersion === 'string'
      ? `FerretDB ${info.ferretdbVersion}`
      : `MongoDB ${String(info.version)}`;
  } finally {
    await client.close();
  }
}

/**
 * `insertMany` (unordered) of `events` as raw documents, `batchSize` at a time, into a fresh
 * collection: with every field a field and the listing indexes (`fields`, the yardstick), or laid
 * out as the server's storage dialect stores them (`as-stored`).
 */
async function dbBulkInsertCeiling(
  run: BenchRun,
  events: TokenUsageEvent[],
  batchSize: number,
  layout: 'fields' | 'as-stored',
): Promise<number> {
  const client = new MongoClient(run.options.mongoUrl);
  const dbName = `${run.db}_ceiling_${layout.replace('-', '_')}`;
  try {
    await client.connect();
    const listing: RawListingMethod =
      layout === 'fields' ? 'index-range' : dialectFor(await client.db().admin().command({ buildInfo: 1 })).rawListing;
    const collection = client.db(dbName).collection<Document & { _id: string }>(RAW_COLLECTIONS.tokens);
    for (const index of rawIndexesFor('tokens', listing)) {
      await collection.createIndex(index.keys, { name: index.name, unique: index.unique ?? false });
    }
    const now = new Date();
    const docs = events.map((e, i) =>
      storedRawDocument(tokenEventToDocument(e, { ingestedAt: now, storedAt: now, src: { p: 0, o: i } }), listing),
    );
    const started = performance.now();
    for (let i = 0; i < docs.length; i += batchSize) {
      await collection.insertMany(docs.slice(i, i + batchSize), { ordered: false });
    }
    return docs.length / ((performance.now() - started) / 1000);
  } finally {
    if (!run.options.keep)
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
  }
}

function machineInfo(run: BenchRun, database: string): MachineInfo {
  // `java -version` writes to stderr.
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: `${java.stdout ?? ''}${java.stderr ?? ''}`.split('\n')[0] || 'unknown',
    kafka: `Apache Kafka ${run.options.kafkaVersion} (KRaft, 1 broker)`,
    database,
  };
}

// ---------------------------------------------------------------------------------------------
// Phases

interface KafkaCeilings {
  kafkaProducerPerSec: number;
  kafkaConsumerPerSec: number;
}

/** 1/6: Kafka's producer and consumer perf tools on the run's events. */
async function measureKafkaCeilings(run: BenchRun, sample: SampleEvents): Promise<KafkaCeilings> {
  const { ceilingEvents } = run.sizes;
  say(
    `\n1/6 Kafka ceilings: perf tools, ${fmt(ceilingEvents)} records of ${sample.eventBytes} bytes, ${PARTITIONS} partitions`,
  );
  const runner = new SpawnRunner();
  const payloadFile = path.join(run.logDir, 'payloads.ndjson');
  mkdirSync(run.logDir, { recursive: true });
  writeFileSync(
    payloadFile,
    sample.events
      .slice(0, 10_000)
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const producerPerf = await kafkaProducerPerf(runner, {
    root: ROOT,
    bootstrap: run.options.kafkaBrokers,
    topic: run.topics.ceiling,
    records: ceilingEvents,
    payloadFile,
    acks: 'all',
    lingerMs: 5,
    batchBytes: 512 * 1024,
    // Keyed like tokenmeter's messages (by series), and timed after the JIT has warmed up.
    keyRange: 1_000,
    warmupRecords: Math.round(ceilingEvents / 10),
  });
  const kafkaProducerPerSec = producerPerf.steadyState?.recordsPerSec ?? producerPerf.recordsPerSec;
  say(`  producer perf: ${fmt(kafkaProducerPerSec)} records/s`);
  const consumerPerf = await kafkaConsumerPerf(runner, {
    root: ROOT,
    bootstrap: run.options.kafkaBrokers,
    topic: run.topics.ceiling,
    messages: ceilingEvents,
  });
  // Fetch rate, without the one-off group join (the processor's drain rate leaves it out too).
  const kafkaConsumerPerSec = consumerPerf.fetchMessagesPerSec;
  say(`  consumer perf: ${fmt(kafkaConsumerPerSec)} messages/s`);
  return { kafkaProducerPerSec, kafkaConsumerPerSec };
}

interface IngestPhase {
  ingestPerSec: number;
  acceptedEvents: number;
  producerCpuMs: number;
  producerPeakRssMB: number;
}

/** 2/6: the producer alone, the load generator flat out, into a topic no processor reads. */
async function measureIngest(run: BenchRun, services: BenchServices): Promise<IngestPhase> {
  const { ingestSeconds, warmupSeconds } = run.sizes;
  say(`\n2/6 Ingest alone: load generator flat out for ${ingestSeconds} s, ${REQUEST_BATCH} events per request`);
  // Into a topic no processor reads: the producer has the machine to itself with Kafka.
  const producer = await services.start('producer', PORT_BASE, { KAFKA_TOPIC_TOKENS: run.topics.ingest }, 'ingest');
  // Warmed up first, as the Kafka producer ceiling is timed after its warm-up records.
  await flatOut(run, producer, warmupSeconds, 'warm-up');
  const cpu0 = processUsage(pidOf(producer)).cpuMs;
  const ingest = await flatOut(run, producer, ingestSeconds, 'ingest');
  const producerCpuMs = processUsage(pidOf(producer)).cpuMs - cpu0;
  const ingestPerSec = ingest.tokens.accepted / (ingest.elapsedMs / 1000);
  say(`  ingest: ${fmt(ingestPerSec)} events/s accepted`);
  const producerPeakRssMB = processUsage(pidOf(producer)).peakRssMB;
  await services.stop(producer);
  return { ingestPerSec, acceptedEvents: ingest.tokens.accepted, producerCpuMs, producerPeakRssMB };
}

interface StorePhase {
  /** Events preloaded (accepted by the producer) for every drain. */
  backlogEvents: number;
  scaling: ScalingPoint[];
  /** One processor's drain rate, CPU time and mean batch size. */
  storedPerSec: number;
  processorCpuMs: number;
  processorBatch: number;
  processorPeakRssMB: number;
}

/** 3/6: a preloaded backlog drained by 1, 2 and 3 processors, each a fresh group and database. */
async function measureStore(run: BenchRun, services: BenchServices, ingestPerSec: number): Promise<StorePhase> {
  const { backlogEvents } = run.sizes;
  say(
    `\n3/6 Store: ${fmt(backlogEvents)} events preloaded, drained by 1, 2 and 3 processors (${PARTITIONS} partitions)`,
  );
  const preloadProducer = await services.start(
    'producer',
    PORT_BASE + 3,
    { KAFKA_TOPIC_TOKENS: run.topics.backlog },
    'preload',
  );
  const preloadSeconds = Math.max(2, Math.ceil(backlogEvents / ingestPerSec));
  const preload = await load(run, preloadProducer, backlogEvents / preloadSeconds, preloadSeconds, 'preload');
  await services.stop(preloadProducer);
  const scaling: ScalingPoint[] = [];
  let single: { storedPerSec: number; cpuMs: number; batch: number } | undefined;
  let processorPeakRssMB = 0;
  for (const count of [1, 2, 3]) {
    const extra = {
      KAFKA_TOPIC_TOKENS: run.topics.backlog,
      MONGO_DB: `${run.db}_s${count}`,
      PROCESSOR_GROUP_PREFIX: `${run.id}-s${count}`,
    };
    const instances = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        services.start('processor', PORT_BASE + 10 + i, extra, `store-${count}-${i}`),
      ),
    );
    const cpu0 = instances.map((i) => processUsage(pidOf(i)).cpuMs);
    const rate = await drain(instances, run.topics.backlog, preload.tokens.accepted, `${count} processor(s)`);
    const cpuMs = instances.reduce((sum, i, n) => sum + processUsage(pidOf(i)).cpuMs - (cpu0[n] ?? 0), 0);
    for (const i of instances) processorPeakRssMB = Math.max(processorPeakRssMB, processUsage(pidOf(i)).peakRssMB);
    if (count === 1 && instances[0] !== undefined) {
      const [sum, n] = await Promise.all([
        metricSum(instances, 'tokenmeter_processor_batch_size_sum', { topic: run.topics.backlog }),
        metricSum(instances, 'tokenmeter_processor_batch_size_count', { topic: run.topics.backlog }),
      ]);
      single = { storedPerSec: rate, cpuMs, batch: Math.max(1, Math.round(sum / Math.max(1, n))) };
    }
    await Promise.all(instances.map((i) => services.stop(i)));
    scaling.push({ processors: count, storedPerSec: round(rate) });
    say(`  ${count} processor(s): ${fmt(rate)} events/s`);
  }
  if (single === undefined) throw new Error('the single-processor drain did not run');
  return {
    backlogEvents: preload.tokens.accepted,
    scaling,
    storedPerSec: single.storedPerSec,
    processorCpuMs: single.cpuMs,
    processorBatch: single.batch,
    processorPeakRssMB,
  };
}

interface DbCeilings {
  dbBulkInsertPerSec: number;
  dbBulkInsertAsStoredPerSec: number;
}

/** 4/6: the database's bulk insert of the backlog's documents, in the processor's batch size. */
async function measureDbCeilings(run: BenchRun, sample: SampleEvents, processorBatch: number): Promise<DbCeilings> {
  const { backlogEvents } = run.sizes;
  say(
    `\n4/6 DB ceiling: insertMany of ${fmt(Math.min(sample.events.length, backlogEvents))} raw documents in batches of ${processorBatch}`,
  );
  const backlog = sample.events.slice(0, backlogEvents);
  const dbBulkInsertPerSec = await dbBulkInsertCeiling(run, backlog, processorBatch, 'fields');
  say(`  database bulk insert: ${fmt(dbBulkInsertPerSec)} documents/s (every field a field, listing indexes)`);
  const dbBulkInsertAsStoredPerSec = await dbBulkInsertCeiling(run, backlog, processorBatch, 'as-stored');
  say(`  as this database's dialect stores them: ${fmt(dbBulkInsertAsStoredPerSec)} documents/s`);
  return { dbBulkInsertPerSec, dbBulkInsertAsStoredPerSec };
}

/** The three services of phases 5 and 6, on the run's main topics. */
interface Pipeline {
  producer: RunningService;
  processor: RunningService;
  queryApi: RunningService;
}

/** 5/6: producer, processor and query API at once, offered 1.5× one processor's stored rate. */
async function measureSustained(
  run: BenchRun,
  services: BenchServices,
  storedPerSec: number,
): Promise<{ pipeline: Pipeline; sustainedPerSec: number }> {
  const { ingestSeconds } = run.sizes;
  // Offered above what one processor stores alone, so the slower side shows; not flat out,
  // which would only pile up a backlog that takes minutes to drain.
  const offered = Math.round(storedPerSec * 1.5);
  say(`\n5/6 Both at once: ${fmt(offered)} events/s offered for ${ingestSeconds} s with one processor running`);
  const processor = await services.start('processor', PORT_BASE + 1);
  const queryApi = await services.start('query-api', PORT_BASE + 2);
  const producer = await services.start('producer', PORT_BASE);
  const storedBefore = await storedCount([processor], run.topics.tokens);
  const windowStart = performance.now();
  const both = await load(run, producer, offered, ingestSeconds, 'both');
  const storedInWindow = (await storedCount([processor], run.topics.tokens)) - storedBefore;
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const bothIngestPerSec = both.tokens.accepted / windowSeconds;
  const sustainedPerSec = Math.min(bothIngestPerSec, storedInWindow / windowSeconds);
  say(
    `  ingest ${fmt(bothIngestPerSec)}/s, stored ${fmt(storedInWindow / windowSeconds)}/s: sustained ${fmt(sustainedPerSec)}/s`,
  );
  await drain([processor], run.topics.tokens, storedBefore + both.tokens.accepted, 'catch up');
  return { pipeline: { producer, processor, queryApi }, sustainedPerSec };
}

/** 6/6: latency probes at 25%, 50% and 90% of the sustained rate. */
async function measureLatency(run: BenchRun, pipeline: Pipeline, sustainedPerSec: number): Promise<LatencyLevel[]> {
  const { latencySeconds } = run.sizes;
  const { producer, processor, queryApi } = pipeline;
  say(
    `\n6/6 Latency: ${latencySeconds} s at ${LATENCY_FRACTIONS.map((f) => `${f * 100}%`).join(', ')} of ${fmt(sustainedPerSec)}/s`,
  );
  const levels: LatencyLevel[] = [];
  for (const fraction of LATENCY_FRACTIONS) {
    const rate = Math.max(1, Math.round(sustainedPerSec * fraction));
    const before = await storedCount([processor], run.topics.tokens);
    const [level, probes] = await Promise.all([
      load(run, producer, rate, latencySeconds, `${fraction * 100}%`),
      probeLatency(producer.baseUrl, queryApi.baseUrl, latencySeconds * 1000),
    ]);
    await drain([processor], run.topics.tokens, before + level.tokens.accepted, 'catch up');
    // A probe that never became readable counts at the timeout: a lower bound, never left out.
    const summary = latencySummary([
      ...probes.latenciesMs,
      ...Array.from({ length: probes.timedOut }, () => PROBES.timeoutMs),
    ]);
    levels.push({
      fraction,
      ratePerSec: rate,
      samples: probes.latenciesMs.length + probes.timedOut,
      timedOut: probes.timedOut,
      skipped: probes.skipped,
      p50: round(summary?.p50 ?? Number.NaN),
      p99: round(summary?.p99 ?? Number.NaN),
      max: round(summary?.max ?? Number.NaN),
    });
    say(
      `  ${fraction * 100}% (${fmt(rate)}/s): p50 ${fmt(summary?.p50 ?? 0)} ms, p99 ${fmt(summary?.p99 ?? 0)} ms, ${probes.latenciesMs.length} probes, ${probes.timedOut} timed out, ${probes.skipped} skipped, ${probes.readErrors} read errors`,
    );
  }
  return levels;
}

interface Measured {
  startedAt: number;
  machine: MachineInfo;
  eventBytes: number;
  kafka: KafkaCeilings;
  ingest: IngestPhase;
  store: StorePhase;
  db: DbCeilings;
  sustainedPerSec: number;
  latencyMs: LatencyLevel[];
  peakRssMB: { producer: number; processor: number };
}

/** The results file: what was measured, its ratios to the ceilings and the targets (results.ts). */
function buildResults(run: BenchRun, m: Measured): PipelineBenchResults {
  const { ingestPerSec } = m.ingest;
  const { storedPerSec } = m.store;
  const { kafkaProducerPerSec } = m.kafka;
  const { dbBulkInsertPerSec, dbBulkInsertAsStoredPerSec } = m.db;
  const halfRate = m.latencyMs.find((l) => l.fraction === 0.5);
  return {
    takenAt: new Date(m.startedAt).toISOString(),
    durationSeconds: round((Date.now() - m.startedAt) / 1000),
    machine: m.machine,
    setup: {
      eventBytes: m.eventBytes,
      partitions: PARTITIONS,
      requestBatch: REQUEST_BATCH,
      processorBatch: m.store.processorBatch,
      ceilingEvents: run.sizes.ceilingEvents,
      backlogEvents: m.store.backlogEvents,
      ingestSeconds: run.sizes.ingestSeconds,
      latencySeconds: run.sizes.latencySeconds,
      processorNodeOptions: run.options.processorNodeOptions,
    },
    ceilings: {
      kafkaProducerPerSec: round(kafkaProducerPerSec),
      kafkaConsumerPerSec: round(m.kafka.kafkaConsumerPerSec),
      dbBulkInsertPerSec: round(dbBulkInsertPerSec),
      dbBulkInsertAsStoredPerSec: round(dbBulkInsertAsStoredPerSec),
    },
    tokenmeter: {
      ingestPerSec: round(ingestPerSec),
      storedPerSec: round(storedPerSec),
      sustainedPerSec: round(m.sustainedPerSec),
    },
    ratios: {
      storedVsDbCeiling: round(storedPerSec / dbBulkInsertPerSec, 3),
      storedVsDbAsStored: round(storedPerSec / dbBulkInsertAsStoredPerSec, 3),
      ingestVsKafkaProducer: round(ingestPerSec / kafkaProducerPerSec, 3),
      sustainedVsKafkaProducer: round(m.sustainedPerSec / kafkaProducerPerSec, 3),
    },
    latencyMs: m.latencyMs,
    cpuMsPer10k: {
      producer: round((m.ingest.producerCpuMs / m.ingest.acceptedEvents) * 10_000),
      processor: round((m.store.processorCpuMs / m.store.backlogEvents) * 10_000),
    },
    peakRssMB: { producer: round(m.peakRssMB.producer), processor: round(m.peakRssMB.processor) },
    scaling: m.store.scaling,
    targets: {
      storedVsDbCeiling: { target: 0.8, met: storedPerSec / dbBulkInsertPerSec >= 0.8 },
      ingestVsKafkaProducer: { target: 0.5, met: ingestPerSec / kafkaProducerPerSec >= 0.5 },
      e2eP99AtHalfRateMs: {
        target: 1_000,
        actual: halfRate?.p99 ?? Number.NaN,
        met: (halfRate?.p99 ?? Infinity) <= 1_000,
      },
      processorPeakRssMB: { target: 200, met: m.peakRssMB.processor <= 200 },
    },
  };
}

function writeResults(results: PipelineBenchResults): void {
  const outDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'pipeline-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'pipeline-latest.svg'), renderChart(results));
  say(`\n${summaryTable(results)}`);
  say(`\nwrote bench/results/pipeline-latest.json and pipeline-latest.svg in ${results.durationSeconds} s`);
}

function summaryTable(r: PipelineBenchResults): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const mark = (met: boolean) => (met ? 'met' : 'MISSED');
  return [
    `ceilings: Kafka producer ${fmt(r.ceilings.kafkaProducerPerSec)}/s, Kafka consumer ${fmt(r.ceilings.kafkaConsumerPerSec)}/s, DB bulk insert ${fmt(r.ceilings.dbBulkInsertPerSec)}/s`,
    `tokenmeter: ingest ${fmt(r.tokenmeter.ingestPerSec)}/s (${pct(r.ratios.ingestVsKafkaProducer)} of Kafka producer; target 50% ${mark(r.targets.ingestVsKafkaProducer.met)})`,
    `            stored ${fmt(r.tokenmeter.storedPerSec)}/s (${pct(r.ratios.storedVsDbCeiling)} of DB ceiling; target 80% ${mark(r.targets.storedVsDbCeiling.met)})`,
    ...(r.ratios.storedVsDbAsStored === undefined
      ? []
      : [
          `            ${pct(r.ratios.storedVsDbAsStored)} of the bulk insert of the documents as stored (${fmt(r.ceilings.dbBulkInsertAsStoredPerSec ?? 0)}/s)`,
        ]),
    `            sustained ${fmt(r.tokenmeter.sustainedPerSec)}/s`,
    ...r.latencyMs.map(
      (l) => `latency at ${l.fraction * 100}% (${fmt(l.ratePerSec)}/s): p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms`,
    ),
    `p99 at 50% ≤ 1 s: ${mark(r.targets.e2eP99AtHalfRateMs.met)}`,
    `CPU per 10k events: producer ${fmt(r.cpuMsPer10k.producer)} ms, processor ${fmt(r.cpuMsPer10k.processor)} ms`,
    `peak RSS: producer ${fmt(r.peakRssMB.producer)} MB, processor ${fmt(r.peakRssMB.processor)} MB (target ≤ 200 MB ${mark(r.targets.processorPeakRssMB.met)})`,
    `processors: ${r.scaling.map((s) => `${s.processors} → ${fmt(s.storedPerSec)}/s`).join(', ')}`,
  ].join('\n');
}

/** Drops the run's databases and deletes its topics (unless --keep). */
async function cleanUp(run: BenchRun): Promise<void> {
  const client = new MongoClient(run.options.mongoUrl);
  try {
    await client.connect();
    const names = (await client.db().admin().listDatabases()).databases.map((d) => d.name);
    for (const name of names.filter((n) => n.startsWith(run.db))) await client.db(name).dropDatabase();
  } catch (error) {
    say(`cleanup: could not drop the bench databases: ${String(error)}`);
  } finally {
    await client.close();
  }
  for (const topic of Object.values(run.topics)) {
    await deleteTopic(run.options.kafkaBrokers, topic).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// The run

async function benchPipeline(options: BenchOptions): Promise<void> {
  const startedAt = Date.now();
  const run = newRun(options);
  const services = new BenchServices(run);
  say(`tokenmeter pipeline bench ${run.id} (scale ${options.scale}); logs in ${path.relative(ROOT, run.logDir)}`);
  const sample = sampleEvents(run.sizes.ceilingEvents, 11);
  try {
    for (const topic of Object.values(run.topics)) await createTopic(options.kafkaBrokers, topic, PARTITIONS);
    const kafka = await measureKafkaCeilings(run, sample);
    const ingest = await measureIngest(run, services);
    const store = await measureStore(run, services, ingest.ingestPerSec);
    const db = await measureDbCeilings(run, sample, store.processorBatch);
    const { pipeline, sustainedPerSec } = await measureSustained(run, services, store.storedPerSec);
    const latencyMs = await measureLatency(run, pipeline, sustainedPerSec);
    const peakRssMB = {
      producer: Math.max(ingest.producerPeakRssMB, processUsage(pidOf(pipeline.producer)).peakRssMB),
      processor: Math.max(store.processorPeakRssMB, processUsage(pidOf(pipeline.processor)).peakRssMB),
    };
    const machine = machineInfo(run, await databaseVersion(options.mongoUrl));
    writeResults(
      buildResults(run, {
        startedAt,
        machine,
        eventBytes: sample.eventBytes,
        kafka,
        ingest,
        store,
        db,
        sustainedPerSec,
        latencyMs,
        peakRssMB,
      }),
    );
  } finally {
    await services.stopAll();
    if (!options.keep) await cleanUp(run);
  }
}

/** `--redraw FILE`: draws the chart of an earlier results file again (after a chart change). */
function redraw(file: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as PipelineBenchResults;
  const svg = file.replace(/\.json$/, '.svg');
  writeFileSync(svg, renderChart(results));
  say(`wrote ${path.relative(ROOT, svg)}`);
}

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2), process.env);
  switch (args.kind) {
    case 'help':
      say(USAGE);
      return 0;
    case 'invalid':
      for (const problem of args.problems) process.stderr.write(`bench: ${problem}\n`);
      process.stderr.write('bench: --help lists the options\n');
      return 2;
    case 'redraw':
      redraw(args.file);
      return 0;
    case 'run':
      await benchPipeline(args.options);
      return 0;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
