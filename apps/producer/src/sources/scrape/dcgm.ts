/**
 * dcgm-exporter `/metrics` -> gpu.v1 samples (SPEC §3, §5). One sample per (node, gpu) per scrape.
 *
 * Series: DCGM_FI_DEV_GPU_UTIL, _FB_USED, _FB_FREE, _POWER_USAGE, _GPU_TEMP (required: a GPU
 * missing one of them gets no sample) and _TOTAL_ENERGY_CONSUMPTION, _SM_CLOCK (optional).
 * Labels: `gpu` (index), `UUID`, `modelName`, `Hostname` or `hostname`; without a host name the
 * `fallbackNode` option is the node, and without that the GPU is dropped (`no_node`). Other labels
 * (pod, container, MIG `GPU_I_ID`, ...) are ignored: the first series of a metric for a
 * (node, gpu) wins. memoryTotalMiB = FB_USED + FB_FREE, which leaves out the driver's reserved
 * frame buffer (DCGM_FI_DEV_FB_RESERVED, not exported by default): a few hundred MiB below the
 * card's nominal size.
 *
 * Units. Legacy exporters print utilisation in percent, frame buffer in MiB (their HELP says
 * "MB" or "MiB"; DCGM's FB fields are MiB either way) and energy in millijoules. The "current"
 * convention prints frame buffer in bytes, utilisation as a 0-1 ratio and energy in joules.
 * `units: 'legacy' | 'current'` forces one convention for all three. `'auto'` (the default)
 * decides each metric on its own:
 *   1. from its `# HELP` text: "(in MiB)", "MiB", "MB" -> MiB; "bytes", "(in B)" -> bytes;
 *      "%", "percent" -> percent; "ratio", "fraction", "0-1" -> ratio;
 *      "mJ", "millijoule" -> mJ; "(in J)", "joule(s)" -> J. FB_USED without a telling HELP takes
 *      FB_FREE's answer and vice versa;
 *   2. else from magnitude, only where one reading settles it: a GPU whose FB_USED + FB_FREE
 *      exceeds 10,000,000 (the contract's MiB ceiling, about 10 TB) is in bytes, so both FB
 *      metrics are. No magnitude settles utilisation (0.5 % and a 0.5 ratio look the same) or
 *      energy;
 *   3. else legacy.
 *
 * DCGM "blank" values mean "no reading", not a number: int32 blanks 0x7ffffff0-0x7fffffff
 * (2147483632-2147483647; only that window, because energy in mJ and frame buffer in bytes
 * legitimately pass 2^31 - an H100 does in under an hour) and fp64 blanks from 2^47
 * (140737488355328) up, which also covers every int64 blank (from 0x7ffffffffffffff0, e.g.
 * 9223372036854775794 "not supported"). Such a reading is dropped as `sentinel`; NaN and ±Inf as
 * `nan`; a value outside the gpu.v1 bounds after conversion as `out_of_range`. Nothing throws.
 */
import { MAX_GPU_MEMORY_MIB } from '@tokenmeter/contracts';

import { scrapedEventId } from './event-id';
import {
  buildGpuSample,
  contractText,
  type GpuReading,
  type GpuReadingField,
  type GpuSamplesResult,
  parseGpuIndex,
  roundMicro,
} from './gpu-sample-builder';
import type { Exposition } from './prometheus-text';

export type { DroppedGpuReading, GpuDropReason, GpuSamplesResult } from './gpu-sample-builder';

export type DcgmUnits = 'auto' | 'legacy' | 'current';

export interface DcgmOptions {
  /** When the scrape happened; becomes every sample's `time`. */
  timeMs: number;
  /** The scrape URL: part of every event id. */
  source: string;
  units?: DcgmUnits;
  /** Node for series without a `Hostname`/`hostname` label. */
  fallbackNode?: string;
}

export const DCGM_METRICS = {
  utilization: 'DCGM_FI_DEV_GPU_UTIL',
  memoryUsed: 'DCGM_FI_DEV_FB_USED',
  memoryFree: 'DCGM_FI_DEV_FB_FREE',
  power: 'DCGM_FI_DEV_POWER_USAGE',
  temperature: 'DCGM_FI_DEV_GPU_TEMP',
  energy: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
  smClock: 'DCGM_FI_DEV_SM_CLOCK',
} as const;

const TRACKED_METRICS: ReadonlySet<string> = new Set(Object.values(DCGM_METRICS));

const INT32_BLANK = 0x7ffffff0;
const INT32_MAX = 0x7fffffff;
/** DCGM_FP64_BLANK; every int64 blank (>= 0x7ffffffffffffff0) is larger still. */
const FP64_BLANK = 2 ** 47;

export function isDcgmBlank(value: number): boolean {
  return (value >= INT32_BLANK && value <= INT32_MAX) || value >= FP64_BLANK;
}

type MemoryUnit = 'MiB' | 'bytes';
type UtilizationUnit = 'percent' | 'ratio';
type EnergyUnit = 'mJ' | 'J';

export interface DcgmUnitChoice {
  memoryUsed: MemoryUnit;
  memoryFree: MemoryUnit;
  utilization: UtilizationUnit;
  energy: EnergyUnit;
}

const LEGACY: DcgmUnitChoice = { memoryUsed: 'MiB', memoryFree: 'MiB', utilization: 'percent', energy: 'mJ' };
const CURRENT: DcgmUnitChoice = { memoryUsed: 'bytes', memoryFree: 'bytes', utilization: 'ratio', energy: 'J' };
const BYTES_PER_MIB = 1024 * 1024;

function memoryUnitFromHelp(help: string | undefined): MemoryUnit | undefined {
  if (help === undefined) return undefined;
  if (/\b(?:MiB|MB)\b/.test(help)) return 'MiB';
  if (/\bbytes?\b|\(in B\)/i.test(help)) return 'bytes';
  return undefined;
}

function utilizationUnitFromHelp(help: string | undefined): UtilizationUnit | undefined {
  if (help === undefined) return undefined;
  if (/%|\bpercent/i.test(help)) return 'percent';
  if (/\bratio\b|\bfraction\b|\b0(?:\.0)?\s*(?:-|to)\s*1\b/i.test(help)) return 'ratio';
  return undefined;
}

function energyUnitFromHelp(help: string | undefined): EnergyUnit | undefined {
  if (help === undefined) return undefined;
  // Case matters for the symbols: "MJ" would be megajoules.
  if (/\bmJ\b/.test(help) || /millijoule/i.test(help)) return 'mJ';
  if (/\bJ\b/.test(help) || /\bjoules?\b/i.test(help)) return 'J';
  return undefined;
}

interface GpuSeries {
  node: string | undefined;
  gpu: string;
  uuid?: string;
  model?: string;
  /** Raw values by metric name, as exported. */
  raw: Map<string, number>;
}

function groupByGpu(exposition: Exposition, fallbackNode: string | undefined): GpuSeries[] {
  const groups = new Map<string, GpuSeries>();
  for (const sample of exposition.samples) {
    if (!TRACKED_METRICS.has(sample.name)) continue;
    const { labels } = sample;
    const node = contractText(labels['Hostname'] ?? labels['hostname']) ?? fallbackNode;
    const gpu = labels['gpu'] ?? '';
    const key = node === undefined ? `\u0000${gpu}` : `${node}\u0000${gpu}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { node, gpu, raw: new Map() };
      groups.set(key, group);
    }
    group.uuid ??= contractText(labels['UUID']);
    group.model ??= contractText(labels['modelName']);
    if (!group.raw.has(sample.name)) group.raw.set(sample.name, sample.value);
  }
  return [...groups.values()];
}

/** A plain reading: finite and not a DCGM blank. */
function usable(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && !isDcgmBlank(value);
}

/** The unit each converted metric is read in, by the rules in the file comment. */
export function resolveDcgmUnits(exposition: Exposition, units: DcgmUnits = 'auto'): DcgmUnitChoice {
  if (units === 'legacy') return LEGACY;
  if (units === 'current') return CURRENT;
  const help = (metric: string): string | undefined => exposition.metadata.get(metric)?.help;
  const usedHelp = memoryUnitFromHelp(help(DCGM_METRICS.memoryUsed));
  const freeHelp = memoryUnitFromHelp(help(DCGM_METRICS.memoryFree));
  // `??` short-circuits: the magnitude pass only runs when neither HELP line tells.
  const memory = usedHelp ?? freeHelp ?? memoryUnitFromMagnitude(exposition) ?? LEGACY.memoryUsed;
  return {
    memoryUsed: usedHelp ?? memory,
    memoryFree: freeHelp ?? memory,
    utilization: utilizationUnitFromHelp(help(DCGM_METRICS.utilization)) ?? LEGACY.utilization,
    energy: energyUnitFromHelp(help(DCGM_METRICS.energy)) ?? LEGACY.energy,
  };
}

function memoryUnitFromMagnitude(exposition: Exposition): MemoryUnit | undefined {
  for (const group of groupByGpu(exposition, '')) {
    const used = group.raw.get(DCGM_METRICS.memoryUsed);
    const free = group.raw.get(DCGM_METRICS.memoryFree);
    const total = (usable(used) ? used : 0) + (usable(free) ? free : 0);
    if (total > MAX_GPU_MEMORY_MIB) return 'bytes';
  }
  return undefined;
}

function reading(group: GpuSeries, metric: string, convert: (value: number) => number = (value) => value): GpuReading {
  const raw = group.raw.get(metric);
  if (raw === undefined) return { metric, value: undefined };
  if (!Number.isFinite(raw)) return { metric, value: 'nan' };
  if (isDcgmBlank(raw)) return { metric, value: 'sentinel' };
  return { metric, value: convert(raw) };
}

const fromMemoryUnit = (unit: MemoryUnit) => (value: number) =>
  unit === 'bytes' ? roundMicro(value / BYTES_PER_MIB) : value;

export function gpuSamplesFromDcgm(exposition: Exposition, options: DcgmOptions): GpuSamplesResult {
  const result: GpuSamplesResult = { samples: [], dropped: [] };
  const units = resolveDcgmUnits(exposition, options.units);
  const fallbackNode = contractText(options.fallbackNode);
  for (const group of groupByGpu(exposition, fallbackNode)) {
    const { node, gpu } = group;
    if (node === undefined) {
      result.dropped.push({ gpu, metric: 'Hostname', reason: 'no_node' });
      continue;
    }
    const gpuIndex = parseGpuIndex(gpu);
    if (gpuIndex === undefined) {
      result.dropped.push({ node, gpu, metric: 'gpu', reason: gpu === '' ? 'missing' : 'out_of_range' });
      continue;
    }
    const readings: Partial<Record<GpuReadingField, GpuReading>> = {
      utilizationPct: reading(group, DCGM_METRICS.utilization, (value) =>
        units.utilization === 'ratio' ? roundMicro(value * 100) : value,
      ),
      memoryUsedMiB: reading(group, DCGM_METRICS.memoryUsed, fromMemoryUnit(units.memoryUsed)),
      memoryFreeMiB: reading(group, DCGM_METRICS.memoryFree, fromMemoryUnit(units.memoryFree)),
      powerW: reading(group, DCGM_METRICS.power),
      temperatureC: reading(group, DCGM_METRICS.temperature),
      energyJ: reading(group, DCGM_METRICS.energy, (value) =>
        units.energy === 'mJ' ? roundMicro(value / 1000) : value,
      ),
      smClockMHz: reading(group, DCGM_METRICS.smClock),
    };
    const series = group.uuid === undefined ? [node, gpuIndex] : [node, gpuIndex, group.uuid];
    const eventId = scrapedEventId(options.source, series, options.timeMs);
    const identity = { node, gpu, gpuIndex, gpuUuid: group.uuid, gpuModel: group.model };
    const sample = buildGpuSample(identity, eventId, options.timeMs, readings, result.dropped);
    if (sample) result.samples.push(sample);
  }
  return result;
}
