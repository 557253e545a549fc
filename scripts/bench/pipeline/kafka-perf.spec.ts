import {
  SpawnRunner,
  type CommandOptions,
  type CommandResult,
  type CommandRunner,
  kafkaConsumerPerf,
  kafkaProducerPerf,
  parseConsumerPerfOutput,
  parseProducerPerfSummary,
  type ProducerPerfOptions,
} from './kafka-perf';

// Real output of the Apache Kafka 4.4.0 tools (scripts/dev/kafka.sh run-class ...) against the
// local broker, a 6-partition topic and a file of 300-byte JSON events. Inlined rather than in a
// fixtures/ folder because the bench module is a single file pair.

/** ProducerPerformance --num-records 100000 --throughput -1 --payload-file ... */
const PRODUCER_STDOUT = `Reading payloads from: /tmp/kp-payload.txt
Number of records read: 200
100000 records sent, 61500.615006 records/sec (17.60 MB/sec), 288.31 ms avg latency, 598.00 ms max latency, 284 ms 50th, 514 ms 95th, 586 ms 99th, 589 ms 99.9th.
`;

/** The same with --warmup-records 20000 --reporting-interval 500: progress lines, then two summaries. */
const PRODUCER_WARMUP_STDOUT = `Reading payloads from: /tmp/kp-payload.txt
Number of records read: 200
Warmup first 20000 records. Steady state results will print after the complete test summary.
7738 records sent, 15414.3 records/sec (4.41 MB/sec), 15.9 ms avg latency, 393.0 ms max latency.
In steady state.
60887 records sent, 118688.1 records/sec (33.96 MB/sec), 29.4 ms avg latency, 52.0 ms max latency.
100000 records sent, 72254.335260 records/sec (20.67 MB/sec), 47.24 ms avg latency, 393.00 ms max latency, 35 ms 50th, 128 ms 95th, 143 ms 99th, 146 ms 99.9th.
80000 steady state records sent, 108991.825613 records/sec (31.18 MB/sec), 50.24 ms avg latency, 148.00 ms max latency, 36 ms 50th, 130 ms 95th, 144 ms 99th, 146 ms 99.9th.
`;

/** ProducerPerformance --payload-file /tmp/nonexistent.txt: exit code 1. */
const PRODUCER_FAILURE = {
  stdout: 'Reading payloads from: /tmp/nonexistent.txt\n',
  stderr: `Exception in thread "main" java.lang.IllegalArgumentException: File does not exist or empty file provided.
\tat org.apache.kafka.tools.ProducerPerformance.readPayloadFile(ProducerPerformance.java:235)
\tat org.apache.kafka.tools.ProducerPerformance$ConfigPostProcessor.<init>(ProducerPerformance.java:701)
\tat org.apache.kafka.tools.ProducerPerformance.start(ProducerPerformance.java:74)
\tat org.apache.kafka.tools.ProducerPerformance.main(ProducerPerformance.java:67)
`,
};

/** ConsumerPerformance --num-records 100000 --group ... --timeout 10000 */
const CONSUMER_STDOUT = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-26 07:50:45:705, 2026-11-26 07:50:46:675, 28.6240, 29.5092, 100048, 103142.2680, 534, 436, 65.6513, 229467.8899
`;

/** ConsumerPerformance --num-records 1000000 --timeout 2000 on a topic holding 200000: exit code 0. */
const CONSUMER_TIMEOUT_STDOUT = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
WARNING: Exiting before consuming the expected number of records: timeout (2000 ms) exceeded. You can use the --timeout option to increase the timeout.
2026-11-26 07:50:50:461, 2026-11-26 07:50:53:689, 57.2205, 17.7263, 200000, 61957.8686, 576, 2652, 21.5763, 75414.7813
`;

/** ConsumerPerformance --bogus: the reason, then 52 lines of usage, exit code 1 (usage abridged here). */
const CONSUMER_USAGE_STDERR = [
  'bogus is not a recognized option',
  'Option                                   Description                           ',
  ...Array.from({ length: 50 }, (_, i) => `--option-${i} <String>                    usage line ${i}`),
  '--version                                Display Kafka version.                ',
].join('\n');

interface RunCall {
  cmd: string;
  args: string[];
  opts: CommandOptions | undefined;
}

class FakeRunner implements CommandRunner {
  readonly calls: RunCall[] = [];

  constructor(private readonly result: Partial<CommandResult>) {}

  run(cmd: string, args: string[], opts?: CommandOptions): Promise<CommandResult> {
    this.calls.push({ cmd, args, opts });
    return Promise.resolve({ code: 0, stdout: '', stderr: '', ...this.result });
  }

  /** The arguments after `kafka.sh run-class <class>`. */
  toolArgs(): string[] {
    return this.calls[0]?.args.slice(3) ?? [];
  }
}

function producerOptions(overrides: Partial<ProducerPerfOptions> = {}): ProducerPerfOptions {
  return {
    root: '/repo',
    bootstrap: '127.0.0.1:19092',
    topic: 'bench-probe-1',
    records: 100_000,
    payloadFile: '/tmp/events.jsonl',
    acks: 'all',
    lingerMs: 5,
    batchBytes: 524_288,
    ...overrides,
  };
}

const consumerOptions = { root: '/repo', bootstrap: '127.0.0.1:19092', topic: 'bench-probe-1', messages: 100_000 };

describe('parseProducerPerfSummary', () => {
  it('reads the final summary line', () => {
    expect(parseProducerPerfSummary(PRODUCER_STDOUT)).toEqual({
      records: 100_000,
      recordsPerSec: 61500.615006,
      mbPerSec: 17.6,
      avgLatencyMs: 288.31,
      maxLatencyMs: 598,
      p50LatencyMs: 284,
      p99LatencyMs: 586,
    });
  });

  it('skips progress lines and reads the steady-state summary after a warm-up', () => {
    const result = parseProducerPerfSummary(PRODUCER_WARMUP_STDOUT);
    expect(result).toMatchObject({ records: 100_000, recordsPerSec: 72254.33526, p99LatencyMs: 143 });
    expect(result.steadyState).toEqual({
      records: 80_000,
      recordsPerSec: 108991.825613,
      mbPerSec: 31.18,
      avgLatencyMs: 50.24,
      maxLatencyMs: 148,
      p50LatencyMs: 36,
      p99LatencyMs: 144,
    });
  });

  it('throws naming the expected line and quoting the output when there is no summary', () => {
    const progressOnly = PRODUCER_WARMUP_STDOUT.split('\n').slice(0, 6).join('\n');
    expect(() => parseProducerPerfSummary(progressOnly)).toThrow(
      /expected a ProducerPerformance summary line "<n> records sent.*99\.9th\."[\s\S]*60887 records sent, 118688\.1/,
    );
  });

  it('quotes only the end of a long output', () => {
    const noise = 'x'.repeat(50_000);
    const error = captureError(() => parseProducerPerfSummary(`${noise}\nthe end`));
    expect(error.message).toContain('the end');
    expect(error.message.length).toBeLessThan(1_500);
  });
});

describe('parseConsumerPerfOutput', () => {
  it('reads the data line under the header by column name', () => {
    expect(parseConsumerPerfOutput(CONSUMER_STDOUT)).toEqual({
      mbPerSec: 29.5092,
      messages: 100_048,
      messagesPerSec: 103142.268,
      rebalanceTimeMs: 534,
      fetchTimeMs: 436,
      fetchMbPerSec: 65.6513,
      fetchMessagesPerSec: 229467.8899,
    });
  });

  it('reads past the WARNING line the tool prints when it timed out', () => {
    expect(parseConsumerPerfOutput(CONSUMER_TIMEOUT_STDOUT)).toMatchObject({ messages: 200_000, fetchTimeMs: 2652 });
  });

  it('throws naming the expected header and quoting the output when there is no data line', () => {
    const headerOnly = CONSUMER_STDOUT.split('\n')[0] ?? '';
    expect(() => parseConsumerPerfOutput(headerOnly)).toThrow(
      /expected ConsumerPerformance output with a header line "start\.time, end\.time,[\s\S]*got:\nstart\.time, end\.time/,
    );
    expect(() => parseConsumerPerfOutput('')).toThrow(/expected ConsumerPerformance output/);
  });

  it('throws when a column it reads is missing', () => {
    const withoutFetchRate = CONSUMER_STDOUT.replace('fetch.nMsg.sec', 'something.else');
    expect(() => parseConsumerPerfOutput(withoutFetchRate)).toThrow(/expected ConsumerPerformance output/);
  });
});

describe('kafkaProducerPerf', () => {
  it('runs ProducerPerformance unthrottled through kafka.sh with the payload file and producer properties', async () => {
    const runner = new FakeRunner({ stdout: PRODUCER_STDOUT });

    const result = await kafkaProducerPerf(runner, producerOptions());

    expect(runner.calls).toHaveLength(1);
    const [call] = runner.calls;
    expect(call?.cmd).toBe('bash');
    expect(call?.args.slice(0, 3)).toEqual([
      '/repo/scripts/dev/kafka.sh',
      'run-class',
      'org.apache.kafka.tools.ProducerPerformance',
    ]);
    expect(runner.toolArgs()).toEqual([
      '--bootstrap-server',
      '127.0.0.1:19092',
      '--topic',
      'bench-probe-1',
      '--num-records',
      '100000',
      '--throughput',
      '-1',
      '--payload-file',
      '/tmp/events.jsonl',
      '--payload-delimiter',
      '\\n',
      '--command-property',
      'acks=all',
      'linger.ms=5',
      'batch.size=524288',
    ]);
    expect(call?.opts?.timeoutMs).toBeGreaterThan(0);
    expect(result).toMatchObject({ records: 100_000, recordsPerSec: 61500.615006, mbPerSec: 17.6 });
    expect(result.steadyState).toBeUndefined();
  });

  it('asks for random keys and a warm-up when given, and returns the steady state', async () => {
    const runner = new FakeRunner({ stdout: PRODUCER_WARMUP_STDOUT });

    const result = await kafkaProducerPerf(
      runner,
      producerOptions({ acks: '1', keyRange: 1000, warmupRecords: 20_000, timeoutMs: 60_000 }),
    );

    expect(runner.toolArgs()).toEqual(expect.arrayContaining(['acks=1']));
    expect(runner.toolArgs().slice(-6)).toEqual([
      '--key-distribution',
      'random',
      '--record-key-range',
      '1000',
      '--warmup-records',
      '20000',
    ]);
    expect(runner.calls[0]?.opts?.timeoutMs).toBe(60_000);
    expect(result.steadyState?.recordsPerSec).toBe(108991.825613);
  });

  it('throws with the last stderr lines when the tool exits non-zero', async () => {
    const runner = new FakeRunner({ code: 1, ...PRODUCER_FAILURE });

    await expect(kafkaProducerPerf(runner, producerOptions())).rejects.toThrow(
      /ProducerPerformance exited with code 1; last stderr lines:\nException in thread "main" .*File does not exist[\s\S]*ProducerPerformance\.main/,
    );
  });

  it('throws when fewer records than asked for were acknowledged', async () => {
    const runner = new FakeRunner({ stdout: PRODUCER_STDOUT });

    await expect(kafkaProducerPerf(runner, producerOptions({ records: 200_000 }))).rejects.toThrow(
      /acknowledged 100000 of 200000 records/,
    );
  });
});

describe('kafkaConsumerPerf', () => {
  it('runs ConsumerPerformance through kafka.sh and reports both rates', async () => {
    const runner = new FakeRunner({ stdout: CONSUMER_STDOUT });

    const result = await kafkaConsumerPerf(runner, { ...consumerOptions, group: 'bench-probe-1.perf' });

    expect(runner.calls[0]?.args.slice(0, 3)).toEqual([
      '/repo/scripts/dev/kafka.sh',
      'run-class',
      'org.apache.kafka.tools.ConsumerPerformance',
    ]);
    expect(runner.toolArgs()).toEqual([
      '--bootstrap-server',
      '127.0.0.1:19092',
      '--topic',
      'bench-probe-1',
      '--num-records',
      '100000',
      '--timeout',
      '10000',
      '--group',
      'bench-probe-1.perf',
    ]);
    expect(result).toMatchObject({ messagesPerSec: 103142.268, fetchMessagesPerSec: 229467.8899, messages: 100_048 });
  });

  it('leaves the group to the tool when none is given', async () => {
    const runner = new FakeRunner({ stdout: CONSUMER_STDOUT });

    await kafkaConsumerPerf(runner, consumerOptions);

    expect(runner.toolArgs()).not.toContain('--group');
  });

  it('throws when the topic ran out before the asked-for messages were read', async () => {
    const runner = new FakeRunner({ stdout: CONSUMER_TIMEOUT_STDOUT });

    await expect(kafkaConsumerPerf(runner, { ...consumerOptions, messages: 1_000_000 })).rejects.toThrow(
      /read 200000 of 1000000 messages from bench-probe-1[\s\S]*WARNING: Exiting before consuming/,
    );
  });

  it('keeps the first stderr line when the tool fails with long usage text', async () => {
    const runner = new FakeRunner({ code: 1, stderr: CONSUMER_USAGE_STDERR });

    const error = await captureRejection(kafkaConsumerPerf(runner, consumerOptions));

    expect(error.message).toMatch(
      /^ConsumerPerformance exited with code 1; last stderr lines:\nbogus is not a recognized option\n\.\.\. \(32 lines\)\n/,
    );
    expect(error.message).toContain('--version');
    expect(error.message).not.toContain('usage line 29\n');
  });

  it('says so when a signal ended the tool', async () => {
    const runner = new FakeRunner({ code: null, stderr: 'partial' });

    await expect(kafkaConsumerPerf(runner, consumerOptions)).rejects.toThrow(
      /ConsumerPerformance was ended by a signal/,
    );
  });
});

describe('SpawnRunner', () => {
  const node = process.execPath;
  const runner = new SpawnRunner();

  it('collects stdout, stderr and the exit code without a shell', async () => {
    const result = await runner.run(node, ['-e', 'console.log("out $HOME"); console.error("err"); process.exit(3)']);

    expect(result).toEqual({ code: 3, stdout: 'out $HOME\n', stderr: 'err\n' });
  });

  it('passes the given environment', async () => {
    const result = await runner.run(node, ['-p', 'process.env.PERF_PROBE'], { env: { PERF_PROBE: 'yes' } });

    expect(result.stdout).toBe('yes\n');
  });

  it('kills the process and rejects when it outlives the timeout', async () => {
    const started = Date.now();

    await expect(
      runner.run(node, ['-e', 'console.error("still here"); setTimeout(() => {}, 60_000)'], { timeoutMs: 500 }),
    ).rejects.toThrow(/did not finish within 500 ms and was killed; last stderr lines:\nstill here/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects when the program cannot be started', async () => {
    await expect(runner.run('/nonexistent/tool', [])).rejects.toThrow(/ENOENT/);
  });
});

function captureError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an Error to be thrown');
}

async function captureRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected the promise to reject with an Error');
}
