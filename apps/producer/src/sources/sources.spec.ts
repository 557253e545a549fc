import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateGpuSample, validateTokenUsageEvent } from '@tokenmeter/contracts';
import { ProducerConfig } from '../config';
import { CommandRunner, ScrapeClient } from './source-io';
import { createSources, DcgmSource, NvidiaSmiSource, SimulatorSource, SourceUnavailableError } from './sources';

const NOW = Date.parse('2026-11-25T15:00:00.000Z');
const simulatorOptions = {
  enabled: true,
  eventsPerSecond: 50,
  seed: 7,
  nodes: 2,
  gpusPerNode: 4,
  gpuSampleIntervalMs: 1_000,
};

class FixtureClient extends ScrapeClient {
  readonly urls: string[] = [];
  constructor(private readonly file: string) {
    super();
  }

  override fetchText(url: string): Promise<string> {
    this.urls.push(url);
    return Promise.resolve(readFileSync(path.join(__dirname, 'scrape', 'fixtures', this.file), 'utf8'));
  }
}

describe('SimulatorSource', () => {
  it('emits valid requests and GPU samples for each tick, the same for the same seed', async () => {
    const first = await new SimulatorSource(simulatorOptions).collect(NOW);
    const again = await new SimulatorSource(simulatorOptions).collect(NOW);
    expect(again).toEqual(first);
    const [tokens, gpus] = first.batches;
    expect(tokens?.kind).toBe('tokens');
    expect(gpus?.kind).toBe('gpu');
    expect(gpus?.events).toHaveLength(8);
    for (const e of tokens?.events ?? []) expect(validateTokenUsageEvent(e, { nowMs: NOW }).ok).toBe(true);
    for (const s of gpus?.events ?? []) expect(validateGpuSample(s, { nowMs: NOW }).ok).toBe(true);
  });

  it('never reuses event ids when restarted later with the same seed', async () => {
    const ids = async (tickMs: number) =>
      (await new SimulatorSource(simulatorOptions).collect(tickMs)).batches.flatMap((b) =>
        b.events.map((e) => (e as { eventId: string }).eventId),
      );
    const before = await ids(NOW);
    const afterRestart = await ids(NOW + 60_000);
    expect(before.length).toBeGreaterThan(0);
    expect(afterRestart.filter((id) => before.includes(id))).toEqual([]);
  });
});

describe('DcgmSource', () => {
  it('scrapes its target and emits the GPU samples of the exposition at the tick time', async () => {
    const client = new FixtureClient('dcgm-legacy.prom');
    const source = new DcgmSource(
      { url: 'http://10.0.0.5:9400/metrics', node: 'fallback' },
      15_000,
      'auto',
      1_000,
      client,
    );
    const collected = await source.collect(NOW);
    expect(client.urls).toEqual(['http://10.0.0.5:9400/metrics']);
    const samples = collected.batches[0]?.events as { node: string; time: string }[];
    expect(samples.map((s) => s.node)).toEqual(['gpu-node-01', 'gpu-node-01']);
    expect(samples.every((s) => s.time === new Date(NOW).toISOString())).toBe(true);
  });

  it('counts the readings an edge-case exposition makes it drop', async () => {
    const source = new DcgmSource(
      { url: 'http://10.0.0.5:9400/metrics', node: 'fallback' },
      15_000,
      'auto',
      1_000,
      new FixtureClient('dcgm-edge-cases.prom'),
    );
    const collected = await source.collect(NOW);
    expect(Object.keys(collected.dropped)).toEqual(expect.arrayContaining(['sentinel', 'nan', 'missing']));
  });

  it('counts and reports a scrape with no GPU series at all (here a vLLM endpoint given as a DCGM target)', async () => {
    const source = new DcgmSource(
      { url: 'http://10.0.0.5:8000/metrics', node: 'fallback' },
      15_000,
      'auto',
      1_000,
      new FixtureClient('vllm-1.prom'),
    );
    const collected = await source.collect(NOW);
    expect(collected.batches).toEqual([{ kind: 'gpu', events: [] }]);
    expect(collected.dropped).toEqual({ unusable_scrape: 1 });
    expect(collected.problems).toEqual([
      expect.stringMatching(/^no GPU series in \d+ samples: neither DCGM_FI_DEV_GPU_UTIL/),
    ]);
  });
});

describe('NvidiaSmiSource', () => {
  it('reports itself unavailable when the binary does not exist (a real exec, no shell)', async () => {
    const source = new NvidiaSmiSource('/nonexistent/nvidia-smi', 'node-1', 15_000, 1_000, new CommandRunner());
    await expect(source.collect(NOW)).rejects.toBeInstanceOf(SourceUnavailableError);
  });
});

describe('createSources', () => {
  it('creates exactly the sources the configuration switches on', () => {
    const config = ProducerConfig.fromEnv({
      KAFKA_BROKERS: '127.0.0.1:9092',
      DCGM_TARGETS: 'http://a:9400/metrics, n2=http://b:9400/metrics',
      VLLM_TARGETS: 'http://c:8000/metrics',
      NVIDIA_SMI_ENABLED: 'true',
    });
    const sources = createSources(config.sources, new ScrapeClient(), new CommandRunner());
    expect(sources.map((s) => s.name)).toEqual([
      'dcgm http://a:9400/metrics',
      'dcgm http://b:9400/metrics',
      'vllm http://c:8000/metrics',
      'nvidia-smi',
    ]);
  });

  it('refuses malformed targets and intervals that do not divide a minute, naming each variable', () => {
    expect(() =>
      ProducerConfig.fromEnv({
        KAFKA_BROKERS: '127.0.0.1:9092',
        DCGM_TARGETS: 'ftp://x',
        VLLM_SCRAPE_INTERVAL_MS: '7000',
      }),
    ).toThrow(/DCGM_TARGETS item 1 must be an http\(s\) URL[\s\S]*VLLM_SCRAPE_INTERVAL_MS must be milliseconds/);
  });
});
