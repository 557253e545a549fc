// The built-in sources (SPEC §5): each turns one tick of the clock into contract events.
// They hold the per-source state (simulator position, vLLM counter baselines) and nothing
// else; scheduling, publishing and retries are the SourceRunner's.
import { FleetSimulator } from '@tokenmeter/simulator';
import { parsePrometheusText } from '@tokenmeter/telemetry';
import { gpuSamplesFromDcgm, type DcgmUnits } from './scrape/dcgm';
import { scrapedEventId } from './scrape/event-id';
import { gpuSamplesFromNvidiaSmi, NVIDIA_SMI_ARGS } from './scrape/nvidia-smi';
import { VllmIntervalTracker } from './scrape/vllm';
import type { DroppedGpuReading } from './scrape/gpu-sample-builder';
import type { EventKind } from '../ingest/ingest.service';
import type { ScrapeTarget, SourcesConfig } from '../config';
import { CommandNotFoundError, type CommandRunner, type ScrapeClient } from './source-io';

export type SourceType = 'simulator' | 'dcgm' | 'vllm' | 'nvidia-smi';

export interface SourceBatch {
  kind: EventKind;
  events: unknown[];
}

export interface Collected {
  batches: SourceBatch[];
  /** Readings left out, by reason (DCGM blanks, NaN, missing series...). */
  dropped: Record<string, number>;
  /** Counter resets seen (vLLM restarts). */
  resets: number;
  /** Human-readable notes for the log: parse errors, skipped models. */
  problems: string[];
}

/** The source cannot run here at all (e.g. no nvidia-smi): reported, not retried noisily. */
export class SourceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}

export interface Source {
  readonly type: SourceType;
  /** Unique among the sources: type plus target, for logs and health. */
  readonly name: string;
  readonly intervalMs: number;
  /** The events of the tick at `tickMs` (grid-aligned epoch ms). */
  collect(tickMs: number): Promise<Collected>;
}

function collected(batches: SourceBatch[], extra: Partial<Omit<Collected, 'batches'>> = {}): Collected {
  return { batches, dropped: {}, resets: 0, problems: [], ...extra };
}

function countDrops(dropped: readonly DroppedGpuReading[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of dropped) counts[d.reason] = (counts[d.reason] ?? 0) + 1;
  return counts;
}

function parseProblems(errors: readonly { line: number; message: string }[]): string[] {
  // A few are enough to diagnose an exporter; all of them could flood the log.
  return errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`);
}

/**
 * The fleet simulator, advanced to each tick. Event ids are hashes of the seed, the simulator's
 * own id and the event time: deterministic for a seed, yet a restarted producer (whose simulator
 * starts its sequence again at a later time) never reuses the ids of the previous run.
 */
export class SimulatorSource implements Source {
  readonly type = 'simulator';
  readonly name = 'simulator';
  readonly intervalMs = 1_000;
  private readonly simulator: FleetSimulator;
  private lastTickMs: number | undefined;

  constructor(private readonly options: SourcesConfig['simulator']) {
    this.simulator = new FleetSimulator({
      seed: options.seed,
      nodes: options.nodes,
      gpusPerNode: options.gpusPerNode,
      eventsPerSecond: options.eventsPerSecond,
      gpuSampleIntervalMs: options.gpuSampleIntervalMs,
    });
  }

  collect(tickMs: number): Promise<Collected> {
    const fromMs = this.lastTickMs ?? tickMs - this.intervalMs;
    this.lastTickMs = tickMs;
    if (tickMs <= fromMs) return Promise.resolve(collected([]));
    const rekey = <E extends { eventId: string; time: string }>(e: E): E => ({
      ...e,
      eventId: scrapedEventId('simulator', [this.options.seed, e.eventId], Date.parse(e.time)),
    });
    return Promise.resolve(
      collected([
        { kind: 'tokens', events: this.simulator.tokenEvents(fromMs, tickMs).map(rekey) },
        { kind: 'gpu', events: this.simulator.gpuSamples(fromMs, tickMs).map(rekey) },
      ]),
    );
  }
}

export class DcgmSource implements Source {
  readonly type = 'dcgm';
  readonly name: string;

  constructor(
    private readonly target: ScrapeTarget,
    readonly intervalMs: number,
    private readonly units: DcgmUnits,
    private readonly timeoutMs: number,
    private readonly client: ScrapeClient,
  ) {
    this.name = `dcgm ${target.url}`;
  }

  async collect(tickMs: number): Promise<Collected> {
    const exposition = parsePrometheusText(await this.client.fetchText(this.target.url, this.timeoutMs));
    const result = gpuSamplesFromDcgm(exposition, {
      timeMs: tickMs,
      source: this.target.url,
      units: this.units,
      fallbackNode: this.target.node,
    });
    const dropped = countDrops(result.dropped);
    const problems = parseProblems(exposition.errors);
    if (result.unusable !== undefined) {
      // A whole scrape that maps to nothing is counted and logged, never silently empty.
      dropped['unusable_scrape'] = (dropped['unusable_scrape'] ?? 0) + 1;
      problems.push(result.unusable);
    }
    return collected([{ kind: 'gpu', events: result.samples }], { dropped, problems });
  }
}

/** vLLM counters become one tokens-interval.v1 per model per scrape interval. */
export class VllmSource implements Source {
  readonly type = 'vllm';
  readonly name: string;
  private readonly tracker: VllmIntervalTracker;

  constructor(
    private readonly target: ScrapeTarget,
    readonly intervalMs: number,
    tenant: string,
    private readonly timeoutMs: number,
    private readonly client: ScrapeClient,
  ) {
    this.name = `vllm ${target.url}`;
    this.tracker = new VllmIntervalTracker({ source: target.url, node: target.node, tenant });
  }

  async collect(tickMs: number): Promise<Collected> {
    const exposition = parsePrometheusText(await this.client.fetchText(this.target.url, this.timeoutMs));
    const observation = this.tracker.observe(exposition, tickMs);
    return collected([{ kind: 'tokenIntervals', events: observation.intervals }], {
      resets: observation.resets,
      problems: [...parseProblems(exposition.errors), ...observation.problems],
    });
  }
}

export class NvidiaSmiSource implements Source {
  readonly type = 'nvidia-smi';
  readonly name = 'nvidia-smi';

  constructor(
    private readonly command: string,
    private readonly node: string,
    readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly runner: CommandRunner,
  ) {}

  async collect(tickMs: number): Promise<Collected> {
    let csv: string;
    try {
      csv = await this.runner.run(this.command, NVIDIA_SMI_ARGS, this.timeoutMs);
    } catch (error) {
      if (error instanceof CommandNotFoundError) {
        throw new SourceUnavailableError(`${this.command} is not installed on this host`);
      }
      throw error;
    }
    const result = gpuSamplesFromNvidiaSmi(csv, { timeMs: tickMs, node: this.node });
    return collected([{ kind: 'gpu', events: result.samples }], { dropped: countDrops(result.dropped) });
  }
}

/** Every source the configuration switches on. */
export function createSources(config: SourcesConfig, client: ScrapeClient, runner: CommandRunner): Source[] {
  const sources: Source[] = [];
  if (config.simulator.enabled) sources.push(new SimulatorSource(config.simulator));
  for (const target of config.dcgm.targets) {
    sources.push(new DcgmSource(target, config.dcgm.intervalMs, config.dcgm.units, config.scrapeTimeoutMs, client));
  }
  for (const target of config.vllm.targets) {
    sources.push(new VllmSource(target, config.vllm.intervalMs, config.vllm.tenant, config.scrapeTimeoutMs, client));
  }
  if (config.nvidiaSmi.enabled) {
    sources.push(
      new NvidiaSmiSource(
        config.nvidiaSmi.path,
        config.node,
        config.nvidiaSmi.intervalMs,
        config.scrapeTimeoutMs,
        runner,
      ),
    );
  }
  return sources;
}
