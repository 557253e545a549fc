// Kafka's own producer and consumer ceilings on the broker tokenmeter uses: runs Kafka's
// kafka-producer-perf-test (ProducerPerformance) and kafka-consumer-perf-test (ConsumerPerformance)
// from the jars scripts/dev/kafka.sh fetched, with tokenmeter's message size and partition count,
// and parses their summaries. The bench divides tokenmeter's rates by these numbers.
//
// Rates are in messages per second; "MB" is what the tools print: MiB (2^20 bytes).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export interface CommandOptions {
  /** Kill the process (SIGTERM, SIGKILL after a grace period) and reject when it runs longer. */
  timeoutMs?: number;
  /** The child's whole environment; the parent's when omitted. */
  env?: NodeJS.ProcessEnv;
}

export interface CommandResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The one side effect of the perf runs, so their argument building and parsing are testable. */
export interface CommandRunner {
  run(cmd: string, args: string[], opts?: CommandOptions): Promise<CommandResult>;
}

const KILL_GRACE_MS = 5_000;

/** Runs a program directly (no shell) and collects its output. */
export class SpawnRunner implements CommandRunner {
  run(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGTERM');
              killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
            }, opts.timeoutMs);

      let settled = false;
      const settle = (): boolean => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        if (settled) return false;
        settled = true;
        return true;
      };
      child.on('error', (error) => {
        if (settle()) reject(error);
      });
      child.on('close', (code) => {
        if (!settle()) return;
        if (timedOut) {
          reject(
            new Error(
              `${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms and was killed; ` +
                `last stderr lines:\n${lastLines(stderr)}`,
            ),
          );
        } else {
          resolve({ code, stdout, stderr });
        }
      });
    });
  }
}

/** Generous: 100k-1M records take seconds; a stuck tool (broker gone) must still end the bench. */
const DEFAULT_TOOL_TIMEOUT_MS = 300_000;

export interface ProducerPerfOptions {
  /** Repository root (where scripts/dev/kafka.sh lives). */
  root: string;
  bootstrap: string;
  topic: string;
  records: number;
  /** Sample messages, one per line (tokenmeter's JSON events); the tool picks one at random per record. */
  payloadFile: string;
  acks: 'all' | '1';
  lingerMs: number;
  /** Producer batch.size: the most bytes batched per partition. */
  batchBytes: number;
  /**
   * Keys drawn at random from [0, keyRange), so records spread over partitions by key hash as
   * tokenmeter's series-keyed events do. Without it keys are null and the sticky partitioner
   * fills one partition's batch at a time, which batches better than keyed traffic can.
   */
  keyRange?: number;
  /**
   * The first records warm the JVM (JIT, connections, metadata); the tool then also prints a
   * steady-state summary of the rest, returned as `steadyState`.
   */
  warmupRecords?: number;
  timeoutMs?: number;
}

export interface ProducerPerfFigures {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
}

export interface ProducerPerfResult extends ProducerPerfFigures {
  /** The records after `warmupRecords`; present only when a warm-up was asked for. */
  steadyState?: ProducerPerfFigures;
}

/**
 * Kafka's producer ceiling: ProducerPerformance unthrottled (`--throughput -1`). The tool's clock
 * starts at its first send, so JVM startup is not in the rate, but JIT warm-up and the first
 * metadata fetch are (use `warmupRecords` and `steadyState` to leave them out).
 */
export async function kafkaProducerPerf(runner: CommandRunner, opts: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const args = [
    '--bootstrap-server',
    opts.bootstrap,
    '--topic',
    opts.topic,
    '--num-records',
    String(opts.records),
    '--throughput',
    '-1',
    '--payload-file',
    opts.payloadFile,
    '--payload-delimiter',
    String.raw`\n`, // the tool's spelling of a newline
    '--command-property',
    `acks=${opts.acks}`,
    `linger.ms=${opts.lingerMs}`,
    `batch.size=${opts.batchBytes}`,
  ];
  if (opts.keyRange !== undefined) {
    args.push('--key-distribution', 'random', '--record-key-range', String(opts.keyRange));
  }
  if (opts.warmupRecords !== undefined && opts.warmupRecords > 0) {
    args.push('--warmup-records', String(opts.warmupRecords));
  }
  const stdout = await runKafkaTool(runner, opts.root, 'org.apache.kafka.tools.ProducerPerformance', args, opts);
  const result = parseProducerPerfSummary(stdout);
  // Failed sends are printed to stderr and left out of the count: a rate over fewer records is no ceiling.
  if (result.records < opts.records) {
    throw new Error(
      `ProducerPerformance acknowledged ${result.records} of ${opts.records} records; output:\n${excerpt(stdout)}`,
    );
  }
  return result;
}

export interface ConsumerPerfOptions {
  root: string;
  bootstrap: string;
  topic: string;
  /** Messages to read; the topic must already hold at least this many. */
  messages: number;
  /** Consumer group; the tool makes up a fresh `perf-consumer-<n>` when omitted. */
  group?: string;
  timeoutMs?: number;
}

export interface ConsumerPerfResult {
  /**
   * nMsg.sec: messages over the whole run, group join included. On a short run the join
   * (~0.5 s on one broker) is a large share of the time, so this understates the ceiling.
   */
  messagesPerSec: number;
  mbPerSec: number;
  /** Messages read; slightly more than asked for, since the tool counts whole polls. */
  messages: number;
  /**
   * fetch.nMsg.sec: the same messages over the time after the group join. This is the one the
   * bench should call Kafka's consumer ceiling: the join is a one-off cost independent of the
   * message count, and the processor's drain rate it is compared with is a steady-state rate.
   */
  fetchMessagesPerSec: number;
  fetchMbPerSec: number;
  rebalanceTimeMs: number;
  fetchTimeMs: number;
}

/** Between two returned records; the first poll (group join + first fetch) takes well under this. */
const CONSUMER_IDLE_TIMEOUT_MS = 10_000;

/** Kafka's consumer ceiling: ConsumerPerformance reading `messages` from the start of the topic. */
export async function kafkaConsumerPerf(runner: CommandRunner, opts: ConsumerPerfOptions): Promise<ConsumerPerfResult> {
  const args = [
    '--bootstrap-server',
    opts.bootstrap,
    '--topic',
    opts.topic,
    '--num-records',
    String(opts.messages),
    '--timeout',
    String(CONSUMER_IDLE_TIMEOUT_MS),
  ];
  if (opts.group !== undefined) args.push('--group', opts.group);
  const stdout = await runKafkaTool(runner, opts.root, 'org.apache.kafka.tools.ConsumerPerformance', args, opts);
  const result = parseConsumerPerfOutput(stdout);
  // The tool gives up after the idle timeout and still prints rates, with the idle time in them.
  if (result.messages < opts.messages) {
    throw new Error(
      `ConsumerPerformance read ${result.messages} of ${opts.messages} messages from ${opts.topic} ` +
        `(does the topic hold that many?); output:\n${excerpt(stdout)}`,
    );
  }
  return result;
}

async function runKafkaTool(
  runner: CommandRunner,
  root: string,
  mainClass: string,
  args: string[],
  opts: { timeoutMs?: number },
): Promise<string> {
  const toolName = mainClass.slice(mainClass.lastIndexOf('.') + 1);
  const { code, stdout, stderr } = await runner.run(
    'bash',
    [join(root, 'scripts/dev/kafka.sh'), 'run-class', mainClass, ...args],
    { timeoutMs: opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS },
  );
  if (code !== 0) {
    const reason = code === null ? 'was ended by a signal' : `exited with code ${code}`;
    throw new Error(`${toolName} ${reason}; last stderr lines:\n${lastLines(stderr || stdout)}`);
  }
  return stdout;
}

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const FIGURES =
  `${NUMBER} records/sec \\(${NUMBER} MB/sec\\), ${NUMBER} ms avg latency, ${NUMBER} ms max latency, ` +
  `${NUMBER} ms 50th, ${NUMBER} ms 95th, ${NUMBER} ms 99th, ${NUMBER} ms 99\\.9th\\.`;
// Progress lines ("N records sent, ... max latency.") lack the percentiles, so only the summaries match.
const TOTAL_LINE = new RegExp(`^(\\d+) records sent, ${FIGURES}$`, 'm');
const STEADY_STATE_LINE = new RegExp(`^(\\d+) steady state records sent, ${FIGURES}$`, 'm');

/** The final summary of ProducerPerformance, and its steady-state summary when it ran a warm-up. */
export function parseProducerPerfSummary(stdout: string): ProducerPerfResult {
  const total = TOTAL_LINE.exec(stdout);
  if (total === null) {
    throw new Error(
      'expected a ProducerPerformance summary line "<n> records sent, <r> records/sec (<m> MB/sec), ' +
        '<a> ms avg latency, <x> ms max latency, <p> ms 50th, <p> ms 95th, <p> ms 99th, <p> ms 99.9th." ' +
        `in its output, got:\n${excerpt(stdout)}`,
    );
  }
  const steady = STEADY_STATE_LINE.exec(stdout);
  return steady === null ? producerFigures(total) : { ...producerFigures(total), steadyState: producerFigures(steady) };
}

function producerFigures(match: RegExpExecArray): ProducerPerfFigures {
  // Groups: records, records/sec, MB/sec, avg, max, 50th, 95th, 99th, 99.9th.
  const group = (index: number): number => Number(match[index]);
  return {
    records: group(1),
    recordsPerSec: group(2),
    mbPerSec: group(3),
    avgLatencyMs: group(4),
    maxLatencyMs: group(5),
    p50LatencyMs: group(6),
    p99LatencyMs: group(8),
  };
}

const CONSUMER_COLUMNS = {
  mbPerSec: 'MB.sec',
  messages: 'data.consumed.in.nMsg',
  messagesPerSec: 'nMsg.sec',
  rebalanceTimeMs: 'rebalance.time.ms',
  fetchTimeMs: 'fetch.time.ms',
  fetchMbPerSec: 'fetch.MB.sec',
  fetchMessagesPerSec: 'fetch.nMsg.sec',
} as const satisfies Record<keyof ConsumerPerfResult, string>;

/**
 * ConsumerPerformance's header ("start.time, end.time, data.consumed.in.MB, MB.sec, ...") and the
 * data line under it; columns are read by name. A timeout WARNING line may sit between the two.
 */
export function parseConsumerPerfOutput(stdout: string): ConsumerPerfResult {
  const lines = stdout.split('\n').map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith('start.time,'));
  const header = headerAt < 0 ? [] : (lines[headerAt] ?? '').split(',').map((name) => name.trim());
  const data = lines
    .slice(headerAt + 1)
    .map((line) => line.split(',').map((field) => field.trim()))
    .find((fields) => fields.length === header.length);
  const missing = Object.values(CONSUMER_COLUMNS).filter((name) => !header.includes(name));
  if (headerAt < 0 || data === undefined || missing.length > 0) {
    throw new Error(
      'expected ConsumerPerformance output with a header line "start.time, end.time, data.consumed.in.MB, MB.sec, ' +
        'data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" ' +
        `and a data line under it, got:\n${excerpt(stdout)}`,
    );
  }
  const column = (name: string): number => {
    const value = Number(data[header.indexOf(name)]);
    if (!Number.isFinite(value)) {
      throw new Error(`ConsumerPerformance column ${name} is not a number in:\n${excerpt(stdout)}`);
    }
    return value;
  };
  return {
    mbPerSec: column(CONSUMER_COLUMNS.mbPerSec),
    messages: column(CONSUMER_COLUMNS.messages),
    messagesPerSec: column(CONSUMER_COLUMNS.messagesPerSec),
    rebalanceTimeMs: column(CONSUMER_COLUMNS.rebalanceTimeMs),
    fetchTimeMs: column(CONSUMER_COLUMNS.fetchTimeMs),
    fetchMbPerSec: column(CONSUMER_COLUMNS.fetchMbPerSec),
    fetchMessagesPerSec: column(CONSUMER_COLUMNS.fetchMessagesPerSec),
  };
}

const EXCERPT_CHARS = 1_000;
const TAIL_LINES = 20;
const FIRST_LINE_CHARS = 300;

/** The end of a tool's output, where its summary or its error is. */
function excerpt(text: string): string {
  return text.length <= EXCERPT_CHARS ? text : `...${text.slice(-EXCERPT_CHARS)}`;
}

/**
 * The last lines of a tool's stderr, and its first line when that is cut: Java tools put the
 * reason first ("Exception in thread ...", "bogus is not a recognized option") and may follow it
 * with a long stack trace or usage text.
 */
function lastLines(text: string): string {
  const lines = text.trimEnd().split('\n');
  if (lines.length <= TAIL_LINES + 1) return excerpt(lines.join('\n'));
  const tail = excerpt(lines.slice(-TAIL_LINES).join('\n'));
  return `${(lines[0] ?? '').slice(0, FIRST_LINE_CHARS)}\n... (${lines.length - TAIL_LINES - 1} lines)\n${tail}`;
}

function benchKafka(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'tokenmeter-bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
}

/**
 * Creates the topic (replication factor 1) and waits for its partition leaders. An existing topic
 * is reused only when it has the same partition count, or the ceiling would be measured on a
 * different layout than tokenmeter's.
 */
export async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = benchKafka(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const actual = topics[0]?.partitions.length ?? 0;
    if (actual !== partitions) {
      throw new Error(`topic ${topic} exists with ${actual} partitions, not ${partitions}`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the topic; a topic that does not exist is left as it is (kafkajs would retry for seconds). */
export async function deleteTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = benchKafka(bootstrap).admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}
