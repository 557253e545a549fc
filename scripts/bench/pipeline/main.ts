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
 * Writes bench/results/pipeline-latest.json and .svg.
 *
 *   npm run bench -- [--scale 1] [--keep] [--processor-node-options '…']
 *
 * `--scale 0.2` shortens every phase (a smoke run); `--keep` leaves topics and databases;
 * `--processor-node-options '…'` sets the processor's NODE_OPTIONS (default: docs/PERFORMANCE.md's);
 * `node -r @swc-node/register scripts/bench/pipeline/main.ts --redraw bench/results/pipeline-latest.json`
 * only draws that run's chart again (no servers needed).
 * Needs KAFKA_BROKERS and MONGO_URL (scripts/bench/pipeline-bench.sh starts the local servers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type TokenUsageEvent } from '@tokenmeter/contracts';
import {
  dialectFor,
  RAW_COLLECTIONS,
  rawIndexesFor,
  type RawListingMethod,
  storedRawDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { type Document, MongoClient } from 'mongodb';
import { latencySummary, type LoadSummary } from '../../../apps/producer/src/loadgen/load-generator';
import { parsePrometheusText } from '../../../apps/producer/src/sources/scrape/prometheus-text';
import { FleetSimulator } from '../../../apps/producer/src/sources/simulator/fleet-simulator';
import { type RunningService, startService, stopService } from '../../../test/support/services';
import { renderChart } from './chart';
import { createTopic, deleteTopic, kafkaConsumerPerf, kafkaProducerPerf, SpawnRunner } from './kafka-perf';
import { type ProbeOutcome, runLatencyProbes } from './latency-probe';
import { processUsage } from './proc-stats';
import type { LatencyLevel, MachineInfo, PipelineBenchResults, ScalingPoint } from './results';

const ROOT = path.resolve(__dirname, '..', '..', '..');
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

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function argString(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const SCALE = argNumber('scale', 1);
/**
 * The processor's Node options, as a deployment sets them: the V8 heap capped to fit a 256 MiB
 * container. Without a cap V8 sizes the heap from the machine's memory (24 GiB here) and lets
 * garbage pile up to 400+ MB. The producer and the query API keep V8's defaults: the same cap
 * cut the producer's flat-out ingest by 40% (docs/PERFORMANCE.md#memory-settings).
 */
const PROCESSOR_NODE_OPTIONS = argString('processor-node-options', '--max-old-space-size=160 --max-semi-space-size=8');
const KEEP = process.argv.includes('--keep');
const INGEST_SECONDS = Math.max(5, Math.round(20 * SCALE));
const LATENCY_SECONDS = Math.max(5, Math.round(30 * SCALE));
const WARMUP_SECONDS = Math.max(2, Math.round(5 * SCALE));
/** Records for Kafka's perf tools. */
const CEILING_EVENTS = Math.max(20_000, Math.round(300_000 * SCALE));
/** Events the processors drain (and the DB ceiling inserts). */
const BACKLOG_EVENTS = Math.max(20_000, Math.round(150_000 * SCALE));

const REDRAW = process.argv.includes('--redraw');
const KAFKA_BROKERS = REDRAW ? '' : requiredEnv('KAFKA_BROKERS');
const MONGO_URL = REDRAW ? '' : requiredEnv('MONGO_URL');
const RUN = `bench-${Date.now().toString(36)}`;
const DB = `tm_${RUN.replace('-', '_')}`;
const TOPICS = {
  tokens: `${RUN}.tokens`,
  gpu: `${RUN}.gpu`,
  dlq: `${RUN}.dlq`,
  ceiling: `${RUN}.ceiling`,
  ingest: `${RUN}.ingest`,
  backlog: `${RUN}.backlog`,
};
const LOG_DIR = path.join(ROOT, '.local', 'bench-logs', RUN);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`${name} must be set (scripts/bench/pipeline-bench.sh sets it)`);
  return value;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Events: the load generator's simulator, so every phase uses the same shape and size.

function sampleEvents(count: number, seed: number): TokenUsageEvent[] {
  const simulator = new FleetSimulator({ seed, eventsPerSecond: 1_000, diurnalAmplitude: 0 });
  const start = Date.now() - 60_000;
  return Array.from(
    { length: count },
    (_, i) => simulator.tokenEventAt(start + Math.floor(i / 100)) as TokenUsageEvent,
  );
}

// ---------------------------------------------------------------------------------------------
// Services

function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS,
    MONGO_URL,
    MONGO_DB: DB,
    KAFKA_TOPIC_TOKENS: TOPICS.tokens,
    KAFKA_TOPIC_GPU: TOPICS.gpu,
    KAFKA_TOPIC_DLQ: TOPICS.dlq,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    PROCESSOR_GROUP_PREFIX: RUN,
    PRODUCER_RATE_LIMIT_PER_MINUTE: '0',
    // The latency probes read the query API up to 80 times a second from one address.
    QUERY_RATE_LIMIT_PER_MINUTE: '0',
    SIMULATOR_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function scrape(service: RunningService): Promise<ReturnType<typeof parsePrometheusText>> {
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
// Phases

async function flatOut(producer: RunningService, seconds: number, label: string): Promise<LoadSummary> {
  return load(producer, FLAT_OUT_PER_SEC, seconds, label);
}

/**
 * Runs the load generator's command line (`npm run loadgen`) in its own process, as a user would:
 * in the bench's process it would share an event loop and a heap with everything else here.
 */
async function load(
  producer: RunningService,
  ratePerSecond: number,
  seconds: number,
  label: string,
): Promise<LoadSummary> {
  const summaryFile = path.join(LOG_DIR, `loadgen-${label.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.json`);
  const args = [
    ...['-r', '@swc-node/register', path.join(ROOT, 'apps/producer/src/loadgen/loadgen-cli.ts')],
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

/** "FerretDB v1.24.2" or "MongoDB 8.0.4", from the server's buildInfo. */
async function databaseVersion(): Promise<string> {
  const client = new MongoClient(MONGO_URL);
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
  events: TokenUsageEvent[],
  batchSize: number,
  layout: 'fields' | 'as-stored',
): Promise<number> {
  const client = new MongoClient(MONGO_URL);
  const dbName = `${DB}_ceiling_${layout.replace('-', '_')}`;
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
    if (!KEEP)
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
    await client.close();
  }
}

function machineInfo(database: string): MachineInfo {
  // `java -version` writes to stderr.
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java: `${java.stdout ?? ''}${java.stderr ?? ''}`.split('\n')[0] || 'unknown',
    kafka: `Apache Kafka ${process.env.KAFKA_VERSION ?? '4.4.0'} (KRaft, 1 broker)`,
    database,
  };
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  const startedAt = Date.now();
  const runner = new SpawnRunner();
  const running: RunningService[] = [];
  const start = async (name: RunningService['name'], port: number, extra?: Record<string, string>, dir = '') => {
    const nodeOptions = { NODE_OPTIONS: name === 'processor' ? PROCESSOR_NODE_OPTIONS : '' };
    const service = await startService(name, port, serviceEnv({ ...nodeOptions, ...extra }), path.join(LOG_DIR, dir));
    running.push(service);
    return service;
  };
  const stop = async (service: RunningService) => {
    await stopService(service);
    running.splice(running.indexOf(service), 1);
  };
  say(`tokenmeter pipeline bench ${RUN} (scale ${SCALE}); logs in ${path.relative(ROOT, LOG_DIR)}`);
  const events = sampleEvents(CEILING_EVENTS, 11);
  const eventBytes = Math.round(
    events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) / events.length,
  );

  try {
    for (const topic of Object.values(TOPICS)) await createTopic(KAFKA_BROKERS, topic, PARTITIONS);

    say(
      `\n1/6 Kafka ceilings: perf tools, ${fmt(CEILING_EVENTS)} records of ${eventBytes} bytes, ${PARTITIONS} partitions`,
    );
    const payloadFile = path.join(LOG_DIR, 'payloads.ndjson');
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(
      payloadFile,
      events
        .slice(0, 10_000)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const producerPerf = await kafkaProducerPerf(runner, {
      root: ROOT,
      bootstrap: KAFKA_BROKERS,
      topic: TOPICS.ceiling,
      records: CEILING_EVENTS,
      payloadFile,
      acks: 'all',
      lingerMs: 5,
      batchBytes: 512 * 1024,
      // Keyed like tokenmeter's messages (by series), and timed after the JIT has warmed up.
      keyRange: 1_000,
      warmupRecords: Math.round(CEILING_EVENTS / 10),
    });
    const kafkaProducerPerSec = producerPerf.steadyState?.recordsPerSec ?? producerPerf.recordsPerSec;
    say(`  producer perf: ${fmt(kafkaProducerPerSec)} records/s`);
    const consumerPerf = await kafkaConsumerPerf(runner, {
      root: ROOT,
      bootstrap: KAFKA_BROKERS,
      topic: TOPICS.ceiling,
      messages: CEILING_EVENTS,
    });
    // Fetch rate, without the one-off group join (the processor's drain rate leaves it out too).
    const kafkaConsumerPerSec = consumerPerf.fetchMessagesPerSec;
    say(`  consumer perf: ${fmt(kafkaConsumerPerSec)} messages/s`);

    say(`\n2/6 Ingest alone: load generator flat out for ${INGEST_SECONDS} s, ${REQUEST_BATCH} events per request`);
    // Into a topic no processor reads: the producer has the machine to itself with Kafka.
    const ingestProducer = await start('producer', PORT_BASE, { KAFKA_TOPIC_TOKENS: TOPICS.ingest }, 'ingest');
    // Warmed up first, as the Kafka producer ceiling is timed after its warm-up records.
    await flatOut(ingestProducer, WARMUP_SECONDS, 'warm-up');
    const producerCpu0 = processUsage(pidOf(ingestProducer)).cpuMs;
    const ingest = await flatOut(ingestProducer, INGEST_SECONDS, 'ingest');
    const producerCpuMs = processUsage(pidOf(ingestProducer)).cpuMs - producerCpu0;
    const ingestPerSec = ingest.tokens.accepted / (ingest.elapsedMs / 1000);
    say(`  ingest: ${fmt(ingestPerSec)} events/s accepted`);
    const peakRss = { producer: processUsage(pidOf(ingestProducer)).peakRssMB, processor: 0 };
    await stop(ingestProducer);

    say(
      `\n3/6 Store: ${fmt(BACKLOG_EVENTS)} events preloaded, drained by 1, 2 and 3 processors (${PARTITIONS} partitions)`,
    );
    const preloadProducer = await start('producer', PORT_BASE + 3, { KAFKA_TOPIC_TOKENS: TOPICS.backlog }, 'preload');
    const preloadSeconds = Math.max(2, Math.ceil(BACKLOG_EVENTS / ingestPerSec));
    const preload = await load(preloadProducer, BACKLOG_EVENTS / preloadSeconds, preloadSeconds, 'preload');
    await stop(preloadProducer);
    const scaling: ScalingPoint[] = [];
    let single: { storedPerSec: number; cpuMs: number; batch: number } | undefined;
    for (const count of [1, 2, 3]) {
      const extra = {
        KAFKA_TOPIC_TOKENS: TOPICS.backlog,
        MONGO_DB: `${DB}_s${count}`,
        PROCESSOR_GROUP_PREFIX: `${RUN}-s${count}`,
      };
      const instances = await Promise.all(
        Array.from({ length: count }, (_, i) => start('processor', PORT_BASE + 10 + i, extra, `store-${count}-${i}`)),
      );
      const cpu0 = instances.map((i) => processUsage(pidOf(i)).cpuMs);
      const rate = await drain(instances, TOPICS.backlog, preload.tokens.accepted, `${count} processor(s)`);
      const cpuMs = instances.reduce((sum, i, n) => sum + processUsage(pidOf(i)).cpuMs - (cpu0[n] ?? 0), 0);
      for (const i of instances) peakRss.processor = Math.max(peakRss.processor, processUsage(pidOf(i)).peakRssMB);
      if (count === 1 && instances[0] !== undefined) {
        const [sum, n] = await Promise.all([
          metricSum(instances, 'tokenmeter_processor_batch_size_sum', { topic: TOPICS.backlog }),
          metricSum(instances, 'tokenmeter_processor_batch_size_count', { topic: TOPICS.backlog }),
        ]);
        single = { storedPerSec: rate, cpuMs, batch: Math.max(1, Math.round(sum / Math.max(1, n))) };
      }
      await Promise.all(instances.map((i) => stop(i)));
      scaling.push({ processors: count, storedPerSec: round(rate) });
      say(`  ${count} processor(s): ${fmt(rate)} events/s`);
    }
    if (single === undefined) throw new Error('the single-processor drain did not run');
    const storedPerSec = single.storedPerSec;
    const processorBatch = single.batch;

    say(
      `\n4/6 DB ceiling: insertMany of ${fmt(Math.min(events.length, BACKLOG_EVENTS))} raw documents in batches of ${processorBatch}`,
    );
    const backlog = events.slice(0, BACKLOG_EVENTS);
    const dbBulkInsertPerSec = await dbBulkInsertCeiling(backlog, processorBatch, 'fields');
    say(`  database bulk insert: ${fmt(dbBulkInsertPerSec)} documents/s (every field a field, listing indexes)`);
    const dbBulkInsertAsStoredPerSec = await dbBulkInsertCeiling(backlog, processorBatch, 'as-stored');
    say(`  as this database's dialect stores them: ${fmt(dbBulkInsertAsStoredPerSec)} documents/s`);

    // Offered above what one processor stores alone, so the slower side shows; not flat out,
    // which would only pile up a backlog that takes minutes to drain.
    const offered = Math.round(storedPerSec * 1.5);
    say(`\n5/6 Both at once: ${fmt(offered)} events/s offered for ${INGEST_SECONDS} s with one processor running`);
    const processor = await start('processor', PORT_BASE + 1);
    const queryApi = await start('query-api', PORT_BASE + 2);
    const producer = await start('producer', PORT_BASE);
    const storedBefore = await storedCount([processor], TOPICS.tokens);
    const windowStart = performance.now();
    const both = await load(producer, offered, INGEST_SECONDS, 'both');
    const storedInWindow = (await storedCount([processor], TOPICS.tokens)) - storedBefore;
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const bothIngestPerSec = both.tokens.accepted / windowSeconds;
    const sustainedPerSec = Math.min(bothIngestPerSec, storedInWindow / windowSeconds);
    say(
      `  ingest ${fmt(bothIngestPerSec)}/s, stored ${fmt(storedInWindow / windowSeconds)}/s: sustained ${fmt(sustainedPerSec)}/s`,
    );
    await drain([processor], TOPICS.tokens, storedBefore + both.tokens.accepted, 'catch up');

    say(
      `\n6/6 Latency: ${LATENCY_SECONDS} s at ${LATENCY_FRACTIONS.map((f) => `${f * 100}%`).join(', ')} of ${fmt(sustainedPerSec)}/s`,
    );
    const latencyMs: LatencyLevel[] = [];
    for (const fraction of LATENCY_FRACTIONS) {
      const rate = Math.max(1, Math.round(sustainedPerSec * fraction));
      const before = await storedCount([processor], TOPICS.tokens);
      const [level, probes] = await Promise.all([
        load(producer, rate, LATENCY_SECONDS, `${fraction * 100}%`),
        probeLatency(producer.baseUrl, queryApi.baseUrl, LATENCY_SECONDS * 1000),
      ]);
      await drain([processor], TOPICS.tokens, before + level.tokens.accepted, 'catch up');
      // A probe that never became readable counts at the timeout: a lower bound, never left out.
      const summary = latencySummary([
        ...probes.latenciesMs,
        ...Array.from({ length: probes.timedOut }, () => PROBES.timeoutMs),
      ]);
      latencyMs.push({
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
    peakRss.processor = Math.max(peakRss.processor, processUsage(pidOf(processor)).peakRssMB);
    peakRss.producer = Math.max(peakRss.producer, processUsage(pidOf(producer)).peakRssMB);

    const halfRate = latencyMs.find((l) => l.fraction === 0.5);
    const results: PipelineBenchResults = {
      takenAt: new Date(startedAt).toISOString(),
      durationSeconds: round((Date.now() - startedAt) / 1000),
      machine: machineInfo(await databaseVersion()),
      setup: {
        eventBytes,
        partitions: PARTITIONS,
        requestBatch: REQUEST_BATCH,
        processorBatch,
        ceilingEvents: CEILING_EVENTS,
        backlogEvents: preload.tokens.accepted,
        ingestSeconds: INGEST_SECONDS,
        latencySeconds: LATENCY_SECONDS,
        processorNodeOptions: PROCESSOR_NODE_OPTIONS,
      },
      ceilings: {
        kafkaProducerPerSec: round(kafkaProducerPerSec),
        kafkaConsumerPerSec: round(kafkaConsumerPerSec),
        dbBulkInsertPerSec: round(dbBulkInsertPerSec),
        dbBulkInsertAsStoredPerSec: round(dbBulkInsertAsStoredPerSec),
      },
      tokenmeter: {
        ingestPerSec: round(ingestPerSec),
        storedPerSec: round(storedPerSec),
        sustainedPerSec: round(sustainedPerSec),
      },
      ratios: {
        storedVsDbCeiling: round(storedPerSec / dbBulkInsertPerSec, 3),
        storedVsDbAsStored: round(storedPerSec / dbBulkInsertAsStoredPerSec, 3),
        ingestVsKafkaProducer: round(ingestPerSec / kafkaProducerPerSec, 3),
        sustainedVsKafkaProducer: round(sustainedPerSec / kafkaProducerPerSec, 3),
      },
      latencyMs,
      cpuMsPer10k: {
        producer: round((producerCpuMs / ingest.tokens.accepted) * 10_000),
        processor: round((single.cpuMs / preload.tokens.accepted) * 10_000),
      },
      peakRssMB: { producer: round(peakRss.producer), processor: round(peakRss.processor) },
      scaling,
      targets: {
        storedVsDbCeiling: { target: 0.8, met: storedPerSec / dbBulkInsertPerSec >= 0.8 },
        ingestVsKafkaProducer: { target: 0.5, met: ingestPerSec / kafkaProducerPerSec >= 0.5 },
        e2eP99AtHalfRateMs: {
          target: 1_000,
          actual: halfRate?.p99 ?? Number.NaN,
          met: (halfRate?.p99 ?? Infinity) <= 1_000,
        },
        processorPeakRssMB: { target: 200, met: peakRss.processor <= 200 },
      },
    };
    const outDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'pipeline-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(path.join(outDir, 'pipeline-latest.svg'), renderChart(results));
    say(`\n${summaryTable(results)}`);
    say(`\nwrote bench/results/pipeline-latest.json and pipeline-latest.svg in ${results.durationSeconds} s`);
  } finally {
    await Promise.all(running.map((s) => stopService(s)));
    if (!KEEP) await cleanUp();
  }
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

async function cleanUp(): Promise<void> {
  const client = new MongoClient(MONGO_URL);
  try {
    await client.connect();
    const names = (await client.db().admin().listDatabases()).databases.map((d) => d.name);
    for (const name of names.filter((n) => n.startsWith(DB))) await client.db(name).dropDatabase();
  } catch (error) {
    say(`cleanup: could not drop the bench databases: ${String(error)}`);
  } finally {
    await client.close();
  }
  for (const topic of Object.values(TOPICS)) {
    await deleteTopic(KAFKA_BROKERS, topic).catch(() => undefined);
  }
}

/** `--redraw FILE`: draws the chart of an earlier results file again (after a chart change). */
function redraw(file: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as PipelineBenchResults;
  const svg = file.replace(/\.json$/, '.svg');
  writeFileSync(svg, renderChart(results));
  say(`wrote ${path.relative(ROOT, svg)}`);
}

(REDRAW ? Promise.resolve(redraw(argString('redraw', ''))) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
