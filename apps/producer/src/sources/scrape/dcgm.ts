/**
 * dcgm-exporter `/metrics` -> gpu.v1 samples (SPEC §3, §5). One sample per (node, gpu) per scrape.
 *
 * Series: DCGM_FI_DEV_GPU_UTIL, _FB_USED, _FB_FREE, _POWER_USAGE, _GPU_TEMP (required: a GPU
 * missing one of them gets no sample, except the utilisation of a MIG GPU, below) and
 * _FB_RESERVED, _TOTAL_ENERGY_CONSUMPTION, _SM_CLOCK (optional), or the same fields under the
 * 1.x names `--use-old-namespace` prints (dcgm_gpu_utilization, dcgm_fb_used, ...;
 * NVIDIA/dcgm-exporter etc/1.x-compatibility-metrics.csv).
 * Labels: `gpu` (index), `UUID` (1.x: `uuid`), `modelName`, `Hostname` or `hostname`; without a
 * host name the `fallbackNode` option is the node, and without that the GPU is dropped
 * (`no_node`). Kubernetes labels (`pod`, `namespace`, `container`; 1.x `pod_name`, ...) are
 * ignored: when a GPU has several series of one metric (one per pod sharing it), the first wins.
 * A scrape with no series of any of these names (a wrong URL, a counters file without them)
 * gives no sample and says so in `unusable`.
 *
 * memoryTotalMiB = FB_USED + FB_FREE + FB_RESERVED: the driver's reserved frame buffer is part of
 * the card (nvidia-smi's memory.total includes it) and dcgm-exporter exports it by default since
 * 4.3.1-4.4.0 (etc/dcp-metrics-included.csv); without the series, used + free, a few hundred MiB
 * below the card's size.
 *
 * MIG. With MIG on, dcgm-exporter prints one series per GPU instance, labelled `GPU_I_ID` and
 * `GPU_I_PROFILE` (e.g. `1g.6gb`), all with the parent GPU's `gpu` and `UUID`. A sample stays
 * one physical GPU (its `gpuIndex`/`gpuUuid` identity and the rollups' per-GPU meaning do not
 * change): memory is the sum over its instances (unless a series without `GPU_I_ID` gives the
 * whole GPU's), power, temperature, energy and clock are device readings, repeated on every
 * instance series (taken from a whole-GPU series if there is one, else from the lowest instance).
 * DCGM_FI_DEV_GPU_UTIL is not measured per instance (it reads 0; dcgm-exporter issues #216, #430),
 * so it is ignored on instance series. Utilisation is the whole GPU's DCGM_FI_DEV_GPU_UTIL when a
 * series without `GPU_I_ID` has a reading (not a blank), else DCGM_FI_PROF_GR_ENGINE_ACTIVE of the
 * instances (the measure NVIDIA names for MIG) weighted by their compute slices (the `<n>g` of
 * the profile) - the busy share of the partitioned compute. Without either the GPU is sampled
 * without a utilisation (gpu.v1: absent = not measured; an invented 0 would be read as an idle GPU)
 * and the reading is counted as dropped, `unsupported`; a blank or out-of-range utilisation of a
 * MIG GPU likewise leaves only the utilisation out. A GPU without MIG still needs one.
 *
 * Units. Legacy exporters print utilisation in percent, frame buffer in MiB (their HELP says
 * "MB" or "MiB"; DCGM's FB fields are MiB either way) and energy in millijoules. The "current"
 * convention prints frame buffer in bytes, utilisation as a 0-1 ratio and energy in joules.
 * `units: 'legacy' | 'current'` forces one convention for all three. `'auto'` (the default)
 * decides each metric on its own:
 *   1. from its `# HELP` text: "(in MiB)", "MiB", "MB" -> MiB; "bytes", "(in B)" -> bytes;
 *      "%", "percent" -> percent; "ratio", "fraction", "0-1" -> ratio;
 *      "mJ", "millijoule" -> mJ; "(in J)", "joule(s)" -> J. A frame-buffer metric without a
 *      telling HELP takes the other FB metrics' answer;
 *   2. else from magnitude, only where one reading settles it: a GPU (or MIG instance) whose
 *      FB_USED + FB_FREE exceeds 10,000,000 (the contract's MiB ceiling, about 10 TB) is in
 *      bytes, so all FB metrics are. No magnitude settles utilisation (0.5 % and a 0.5 ratio look
 *      the same) or energy;
 *   3. else legacy.
 * DCGM_FI_PROF_GR_ENGINE_ACTIVE is a 0-1 ratio in every convention.
 *
 * DCGM "blank" values mean "no reading", not a number: int32 blanks 0x7ffffff0-0x7fffffff
 * (2147483632-2147483647; only that window, because energy in mJ and frame buffer in bytes
 * legitimately pass 2^31 - an H100 does in under an hour) and fp64 blanks from 2^47
 * (140737488355328) up, which also covers every int64 blank (from 0x7ffffffffffffff0, e.g.
 * 9223372036854775794 "not supported"). Such a reading is dropped as `sentinel`; NaN and ±Inf as
 * `nan`; a value outside the gpu.v1 bounds after conversion as `out_of_range`. Nothing throws.
 */
import { MAX_GPU_MEMORY_MIB } from '@tokenmeter/contracts';
import type { Exposition } from '@tokenmeter/telemetry';

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
  memoryReserved: 'DCGM_FI_DEV_FB_RESERVED',
  power: 'DCGM_FI_DEV_POWER_USAGE',
  temperature: 'DCGM_FI_DEV_GPU_TEMP',
  energy: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION',
  smClock: 'DCGM_FI_DEV_SM_CLOCK',
  graphicsActive: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
} as const;

type DcgmMetric = keyof typeof DCGM_METRICS;

/** The names `--use-old-namespace` prints (etc/1.x-compatibility-metrics.csv), in the same units. */
export const DCGM_OLD_NAMESPACE_METRICS: Readonly<Partial<Record<DcgmMetric, string>>> = {
  utilization: 'dcgm_gpu_utilization',
  memoryUsed: 'dcgm_fb_used',
  memoryFree: 'dcgm_fb_free',
  power: 'dcgm_power_usage',
  temperature: 'dcgm_gpu_temp',
  energy: 'dcgm_total_energy_consumption',
  smClock: 'dcgm_sm_clock',
};

const METRIC_BY_NAME: ReadonlyMap<string, DcgmMetric> = new Map([
  ...(Object.entries(DCGM_METRICS) as [DcgmMetric, string][]).map(([metric, name]) => [name, metric] as const),
  ...(Object.entries(DCGM_OLD_NAMESPACE_METRICS) as [DcgmMetric, string][]).map(
    ([metric, name]) => [name, metric] as const,
  ),
]);

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
  memoryReserved: MemoryUnit;
  utilization: UtilizationUnit;
  energy: EnergyUnit;
}

const LEGACY: DcgmUnitChoice = {
  memoryUsed: 'MiB',
  memoryFree: 'MiB',
  memoryReserved: 'MiB',
  utilization: 'percent',
  energy: 'mJ',
};
const CURRENT: DcgmUnitChoice = {
  memoryUsed: 'bytes',
  memoryFree: 'bytes',
  memoryReserved: 'bytes',
  utilization: 'ratio',
  energy: 'J',
};
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

/** One exported value and the name it was exported under (for drop records). */
interface RawReading {
  name: string;
  value: number;
}

type SeriesReadings = Map<DcgmMetric, RawReading>;

interface MigInstance {
  /** Compute slices, the `<n>` of a `<n>g.<size>gb` profile; `undefined` when unreadable. */
  slices: number | undefined;
  readings: SeriesReadings;
}

interface GpuSeries {
  node: string | undefined;
  gpu: string;
  uuid?: string;
  model?: string;
  /** Series without `GPU_I_ID`: the whole GPU. */
  device: SeriesReadings;
  /** By `GPU_I_ID`, when MIG is on. */
  instances: Map<string, MigInstance>;
}

function migSlices(profile: string | undefined): number | undefined {
  const match = /^([1-9][0-9]?)g\./.exec(profile ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function groupByGpu(exposition: Exposition, fallbackNode: string | undefined): GpuSeries[] {
  const groups = new Map<string, GpuSeries>();
  for (const sample of exposition.samples) {
    const metric = METRIC_BY_NAME.get(sample.name);
    if (metric === undefined) continue;
    const { labels } = sample;
    const node = contractText(labels['Hostname'] ?? labels['hostname']) ?? fallbackNode;
    const gpu = labels['gpu'] ?? '';
    const key = node === undefined ? `\u0000${gpu}` : `${node}\u0000${gpu}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { node, gpu, device: new Map(), instances: new Map() };
      groups.set(key, group);
    }
    group.uuid ??= contractText(labels['UUID'] ?? labels['uuid']);
    group.model ??= contractText(labels['modelName']);
    const instanceId = labels['GPU_I_ID'] ?? '';
    let readings = group.device;
    if (instanceId !== '') {
      let instance = group.instances.get(instanceId);
      if (instance === undefined) {
        instance = { slices: migSlices(labels['GPU_I_PROFILE']), readings: new Map() };
        group.instances.set(instanceId, instance);
      }
      readings = instance.readings;
    }
    if (!readings.has(metric)) readings.set(metric, { name: sample.name, value: sample.value });
  }
  return [...groups.values()];
}

/** Instances in `GPU_I_ID` order, so "the lowest instance" is well defined. */
function sortedInstances(group: GpuSeries): MigInstance[] {
  return [...group.instances.entries()]
    .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
    .map(([, instance]) => instance);
}

/** A plain reading: finite and not a DCGM blank. */
function usable(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && !isDcgmBlank(value);
}

/** The unit each converted metric is read in, by the rules in the file comment. */
export function resolveDcgmUnits(exposition: Exposition, units: DcgmUnits = 'auto'): DcgmUnitChoice {
  if (units === 'legacy') return LEGACY;
  if (units === 'current') return CURRENT;
  const help = (metric: DcgmMetric): string | undefined => {
    const oldName = DCGM_OLD_NAMESPACE_METRICS[metric];
    const metadata = exposition.metadata.get(DCGM_METRICS[metric]);
    return metadata?.help ?? (oldName === undefined ? undefined : exposition.metadata.get(oldName)?.help);
  };
  const usedHelp = memoryUnitFromHelp(help('memoryUsed'));
  const freeHelp = memoryUnitFromHelp(help('memoryFree'));
  const reservedHelp = memoryUnitFromHelp(help('memoryReserved'));
  // `??` short-circuits: the magnitude pass only runs when no HELP line tells.
  const memory = usedHelp ?? freeHelp ?? reservedHelp ?? memoryUnitFromMagnitude(exposition) ?? LEGACY.memoryUsed;
  return {
    memoryUsed: usedHelp ?? memory,
    memoryFree: freeHelp ?? memory,
    memoryReserved: reservedHelp ?? memory,
    utilization: utilizationUnitFromHelp(help('utilization')) ?? LEGACY.utilization,
    energy: energyUnitFromHelp(help('energy')) ?? LEGACY.energy,
  };
}

function memoryUnitFromMagnitude(exposition: Exposition): MemoryUnit | undefined {
  for (const group of groupByGpu(exposition, '')) {
    for (const readings of [group.device, ...sortedInstances(group).map((instance) => instance.readings)]) {
      const used = readings.get('memoryUsed')?.value;
      const free = readings.get('memoryFree')?.value;
      const total = (usable(used) ? used : 0) + (usable(free) ? free : 0);
      if (total > MAX_GPU_MEMORY_MIB) return 'bytes';
    }
  }
  return undefined;
}

/** A reading judged for DCGM's own faults (NaN, blanks), converted when it is a number. */
function judged(raw: RawReading, convert: (value: number) => number): GpuReading['value'] {
  if (!Number.isFinite(raw.value)) return 'nan';
  if (isDcgmBlank(raw.value)) return 'sentinel';
  return convert(raw.value);
}

const asIs = (value: number): number => value;

function reading(readings: SeriesReadings, metric: DcgmMetric, convert = asIs): GpuReading {
  const raw = readings.get(metric);
  if (raw === undefined) return { metric: DCGM_METRICS[metric], value: undefined };
  return { metric: raw.name, value: judged(raw, convert) };
}

/** The sum of one frame-buffer metric over a GPU's MIG instances; a fault in any one is the sum's. */
function instanceSum(
  instances: readonly MigInstance[],
  metric: DcgmMetric,
  convert: (value: number) => number,
): GpuReading {
  let total = 0;
  let name: string = DCGM_METRICS[metric];
  for (const instance of instances) {
    const raw = instance.readings.get(metric);
    if (raw === undefined) return { metric: name, value: undefined };
    name = raw.name;
    const value = judged(raw, convert);
    if (typeof value !== 'number') return { metric: name, value };
    total += value;
  }
  return { metric: name, value: roundMicro(total) };
}

/**
 * A MIG GPU's utilisation without a whole-GPU reading: DCGM_FI_PROF_GR_ENGINE_ACTIVE of its
 * instances weighted by compute slices (equal weights when a profile is unreadable), in percent.
 */
function migUtilization(instances: readonly MigInstance[]): GpuReading {
  const metric = DCGM_METRICS.utilization;
  const weighted = instances.every((instance) => instance.slices !== undefined);
  let busy = 0;
  let slices = 0;
  for (const instance of instances) {
    const raw = instance.readings.get('graphicsActive');
    if (raw === undefined) return { metric, value: 'unsupported' };
    const ratio = judged(raw, asIs);
    if (typeof ratio !== 'number') return { metric: raw.name, value: ratio };
    const weight = weighted ? (instance.slices ?? 1) : 1;
    busy += ratio * weight;
    slices += weight;
  }
  return { metric: DCGM_METRICS.graphicsActive, value: roundMicro((busy / slices) * 100) };
}

const fromMemoryUnit = (unit: MemoryUnit) => (value: number) =>
  unit === 'bytes' ? roundMicro(value / BYTES_PER_MIB) : value;

export interface DcgmSamplesResult extends GpuSamplesResult {
  /** Why nothing in the scrape could be read as a GPU, when nothing could; for the log. */
  unusable?: string;
}

function gpuReadings(group: GpuSeries, units: DcgmUnitChoice): Partial<Record<GpuReadingField, GpuReading>> {
  const instances = sortedInstances(group);
  // Device readings (power, temperature, energy, clock) are repeated on every instance series.
  const lowest = instances[0]?.readings;
  const deviceReading = (metric: DcgmMetric, convert = asIs): GpuReading =>
    reading(group.device.has(metric) || lowest === undefined ? group.device : lowest, metric, convert);
  const memoryFrom = (metric: DcgmMetric, unit: MemoryUnit): GpuReading =>
    instances.length === 0 || group.device.has('memoryUsed')
      ? reading(group.device, metric, fromMemoryUnit(unit))
      : instanceSum(instances, metric, fromMemoryUnit(unit));
  const deviceUtilization = reading(group.device, 'utilization', (value) =>
    units.utilization === 'ratio' ? roundMicro(value * 100) : value,
  );
  // A MIG GPU's own GPU_UTIL may be absent or blank (DCGM does not support it under MIG).
  const utilization =
    instances.length === 0 || typeof deviceUtilization.value === 'number'
      ? deviceUtilization
      : migUtilization(instances);
  return {
    utilizationPct: utilization,
    memoryUsedMiB: memoryFrom('memoryUsed', units.memoryUsed),
    memoryFreeMiB: memoryFrom('memoryFree', units.memoryFree),
    memoryReservedMiB: memoryFrom('memoryReserved', units.memoryReserved),
    powerW: deviceReading('power'),
    temperatureC: deviceReading('temperature'),
    energyJ: deviceReading('energy', (value) => (units.energy === 'mJ' ? roundMicro(value / 1000) : value)),
    smClockMHz: deviceReading('smClock'),
  };
}

export function gpuSamplesFromDcgm(exposition: Exposition, options: DcgmOptions): DcgmSamplesResult {
  const result: DcgmSamplesResult = { samples: [], dropped: [] };
  const units = resolveDcgmUnits(exposition, options.units);
  const fallbackNode = contractText(options.fallbackNode);
  const groups = groupByGpu(exposition, fallbackNode);
  if (groups.length === 0) {
    result.unusable =
      `no GPU series in ${exposition.samples.length} samples: neither ${DCGM_METRICS.utilization}, ` +
      `${DCGM_METRICS.memoryUsed}, ... nor the 1.x names (${DCGM_OLD_NAMESPACE_METRICS.utilization ?? ''}, ...)`;
    return result;
  }
  for (const group of groups) {
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
    const series = group.uuid === undefined ? [node, gpuIndex] : [node, gpuIndex, group.uuid];
    const eventId = scrapedEventId(options.source, series, options.timeMs);
    const identity = { node, gpu, gpuIndex, gpuUuid: group.uuid, gpuModel: group.model, mig: group.instances.size > 0 };
    const sample = buildGpuSample(identity, eventId, options.timeMs, gpuReadings(group, units), result.dropped);
    if (sample) result.samples.push(sample);
  }
  return result;
}
