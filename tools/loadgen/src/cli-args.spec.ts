import { parseLoadArgs } from './cli-args';
import { DEFAULT_LOAD_OPTIONS } from './load-options';

describe('parseLoadArgs', () => {
  const seed = (): number => 777;

  it('reads every option, in --flag value and --flag=value form', () => {
    const parsed = parseLoadArgs(
      [
        '--rate',
        '250.5',
        '--duration=30',
        '--target',
        'https://producer.example:8443',
        '--api-key=abc',
        '--batch',
        '50',
        '--concurrency',
        '8',
        '--seed',
        '-12',
        '--gpus',
        '--retry',
        '3',
        '--timeout',
        '2000',
        '--summary-json',
        'out/summary.json',
      ],
      {},
      seed,
    );
    expect(parsed).toEqual({
      kind: 'run',
      summaryJsonPath: 'out/summary.json',
      options: {
        target: 'https://producer.example:8443',
        apiKey: 'abc',
        ratePerSecond: 250.5,
        durationSeconds: 30,
        batchSize: 50,
        concurrency: 8,
        seed: -12,
        gpus: true,
        gpuSampleIntervalMs: 10_000,
        retryAttempts: 3,
        requestTimeoutMs: 2_000,
      },
    });
  });

  it('uses the defaults, the API key from TOKENMETER_API_KEY and a random seed', () => {
    const parsed = parseLoadArgs(['--rate', '10', '--duration', '5'], { TOKENMETER_API_KEY: 'from-env' }, seed);
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        ...DEFAULT_LOAD_OPTIONS,
        apiKey: 'from-env',
        ratePerSecond: 10,
        durationSeconds: 5,
        seed: 777,
      },
    });
    const withoutKey = parseLoadArgs(['--rate', '10', '--duration', '5'], { TOKENMETER_API_KEY: '' }, seed);
    expect(withoutKey.kind).toBe('run');
    expect(withoutKey.kind === 'run' ? withoutKey.options.apiKey : 'invalid').toBeUndefined();
  });

  it('answers help', () => {
    expect(parseLoadArgs(['--rate', 'x', '--help'], {}, seed)).toEqual({ kind: 'help' });
    expect(parseLoadArgs(['-h'], {}, seed)).toEqual({ kind: 'help' });
  });

  it('names each problem', () => {
    const parsed = parseLoadArgs(
      ['--rate', 'fast', '--batch', '0', '--concurrency', '2.5', '--target', 'ftp://x', '--verbose', 'extra', '--seed'],
      {},
      seed,
    );
    expect(parsed.kind).toBe('invalid');
    const problems = parsed.kind === 'invalid' ? parsed.problems : [];
    expect(problems).toEqual([
      'unknown option --verbose',
      'unexpected argument "extra"',
      '--seed needs a value',
      '--duration is required',
      '--rate must be a number (got "fast")',
      '--target must be an http:// or https:// URL (got "ftp://x")',
      '--batch must be an integer 1-100000 (got 0)',
      '--concurrency must be an integer 1-1024 (got 2.5)',
    ]);
  });

  it('requires --rate and --duration and rejects values out of range', () => {
    const missing = parseLoadArgs([], {}, seed);
    expect(missing.kind === 'invalid' && missing.problems).toEqual(['--rate is required', '--duration is required']);
    const negative = parseLoadArgs(['--rate', '-5', '--duration', '0', '--retry', '-1'], {}, seed);
    expect(negative.kind === 'invalid' && negative.problems.map((p) => p.split(' ')[0])).toEqual([
      '--rate',
      '--duration',
      '--retry',
    ]);
  });
});
