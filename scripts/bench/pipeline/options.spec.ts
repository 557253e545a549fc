import { benchSizes, parseBenchArgs } from './options';

const ENV = { KAFKA_BROKERS: '127.0.0.1:9092', MONGO_URL: 'mongodb://127.0.0.1:27017' };

describe('parseBenchArgs', () => {
  it('reads every option, with the servers from the environment', () => {
    expect(
      parseBenchArgs(['--scale', '0.2', '--keep', '--processor-node-options', '--max-old-space-size=96'], {
        ...ENV,
        KAFKA_VERSION: '4.3.1',
      }),
    ).toEqual({
      kind: 'run',
      options: {
        scale: 0.2,
        keep: true,
        processorNodeOptions: '--max-old-space-size=96',
        kafkaBrokers: '127.0.0.1:9092',
        mongoUrl: 'mongodb://127.0.0.1:27017',
        kafkaVersion: '4.3.1',
      },
    });
  });

  it('uses the defaults', () => {
    const parsed = parseBenchArgs([], ENV);
    expect(parsed).toMatchObject({
      kind: 'run',
      options: { scale: 1, keep: false, processorNodeOptions: '--max-old-space-size=160 --max-semi-space-size=8' },
    });
  });

  it('answers help and redraw without the servers', () => {
    expect(parseBenchArgs(['--scale', 'x', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseBenchArgs(['--redraw', 'bench/results/pipeline-latest.json'], {})).toEqual({
      kind: 'redraw',
      file: 'bench/results/pipeline-latest.json',
    });
  });

  it('names each problem', () => {
    expect(parseBenchArgs(['--scale', '-1', '--verbose', 'extra', '--processor-node-options'], {})).toEqual({
      kind: 'invalid',
      problems: [
        'unknown option --verbose',
        'unexpected argument "extra"',
        '--processor-node-options needs a value',
        '--scale must be a number above 0 and at most 10 (got "-1")',
        'KAFKA_BROKERS must be set (scripts/bench/pipeline-bench.sh sets it)',
        'MONGO_URL must be set (scripts/bench/pipeline-bench.sh sets it)',
      ],
    });
  });
});

describe('benchSizes', () => {
  it('scales every phase, with floors that keep a smoke run meaningful', () => {
    expect(benchSizes(1)).toEqual({
      ingestSeconds: 20,
      latencySeconds: 30,
      warmupSeconds: 5,
      ceilingEvents: 300_000,
      backlogEvents: 150_000,
    });
    expect(benchSizes(0.01)).toEqual({
      ingestSeconds: 5,
      latencySeconds: 5,
      warmupSeconds: 2,
      ceilingEvents: 20_000,
      backlogEvents: 20_000,
    });
  });
});
