/**
 * The part of the DCGM and nvidia-smi mappers that is the same for both: judging each reading
 * (already converted to the gpu.v1 unit) against the contract's bounds, recording why a reading
 * is dropped, and assembling a GpuSample only when every required reading survived (SPEC §3).
 * Utilisation is required of a GPU without MIG, where a missing one is a fault; a MIG GPU may
 * have none the source can measure, and is then sampled without it (gpu.v1: absent = unknown).
 */
import { GpuSampleSchema, MAX_GPU_INDEX, MAX_STRING_LENGTH, type GpuSample } from '@tokenmeter/contracts';

/**
 * `unsupported`: the source cannot measure the reading for this GPU at all (utilisation of a MIG
 * GPU without a whole-GPU or per-instance activity reading), as opposed to `missing` this time.
 * The sample is still sent, without the reading.
 */
export type GpuDropReason = 'sentinel' | 'nan' | 'missing' | 'out_of_range' | 'no_node' | 'unsupported';

export interface DroppedGpuReading {
  /** The GPU as the source names it: the DCGM `gpu` label or the nvidia-smi index column. */
  gpu: string;
  /** The source's metric or column name. */
  metric: string;
  reason: GpuDropReason;
  /** Absent only for `no_node` drops. */
  node?: string;
}

export interface GpuSamplesResult {
  samples: GpuSample[];
  dropped: DroppedGpuReading[];
}

/**
 * `memoryFreeMiB` and `memoryReservedMiB` are not gpu.v1 fields: when given instead of a total,
 * total = used + free + reserved (reserved optional).
 */
export type GpuReadingField =
  | 'utilizationPct'
  | 'memoryUsedMiB'
  | 'memoryFreeMiB'
  | 'memoryReservedMiB'
  | 'memoryTotalMiB'
  | 'powerW'
  | 'temperatureC'
  | 'energyJ'
  | 'smClockMHz';

export interface GpuReading {
  metric: string;
  /** In the gpu.v1 unit; `undefined` = not reported; a reason = already judged by the source. */
  value: number | undefined | GpuDropReason;
}

export interface GpuIdentity {
  node: string;
  /** How the source names the GPU, for drop records. */
  gpu: string;
  gpuIndex: number;
  gpuUuid?: string;
  gpuModel?: string;
  /** MIG is on: utilisation may be unmeasurable, so a sample is sent without one (SOURCES.md). */
  mig?: boolean;
}

interface Bounds {
  min: number;
  max: number;
}

function boundsOf(schema: { minimum?: number; maximum?: number }): Bounds {
  return { min: schema.minimum ?? Number.NEGATIVE_INFINITY, max: schema.maximum ?? Number.POSITIVE_INFINITY };
}

// Read from the contract so the mappers can never disagree with the validator.
const fields = GpuSampleSchema.properties;
const BOUNDS: Readonly<Record<GpuReadingField, Bounds>> = {
  utilizationPct: boundsOf(fields.utilizationPct),
  memoryUsedMiB: boundsOf(fields.memoryUsedMiB),
  memoryFreeMiB: boundsOf(fields.memoryTotalMiB),
  memoryReservedMiB: boundsOf(fields.memoryTotalMiB),
  memoryTotalMiB: boundsOf(fields.memoryTotalMiB),
  powerW: boundsOf(fields.powerW),
  temperatureC: boundsOf(fields.temperatureC),
  energyJ: boundsOf(fields.energyJ),
  smClockMHz: boundsOf(fields.smClockMHz),
};

const REQUIRED: readonly GpuReadingField[] = ['utilizationPct', 'memoryUsedMiB', 'powerW', 'temperatureC'];
/** Left out of the sample when unusable; the sample is still sent. */
const OPTIONAL: ReadonlySet<GpuReadingField> = new Set(['energyJ', 'smClockMHz', 'memoryReservedMiB']);
/** A MIG GPU's: its utilisation may be unmeasurable too. */
const OPTIONAL_UNDER_MIG: ReadonlySet<GpuReadingField> = new Set([...OPTIONAL, 'utilizationPct']);

function judge(field: GpuReadingField, value: GpuReading['value']): number | GpuDropReason {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'nan';
  const { min, max } = BOUNDS[field];
  return value < min || value > max ? 'out_of_range' : value;
}

/** A gpu.v1 text value (non-empty, at most 256 characters, no control characters) or `undefined`. */
export function contractText(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_STRING_LENGTH) return undefined;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return undefined;
  }
  return value;
}

/** A GPU index column or label: a decimal integer 0-1023, else `undefined`. */
export function parseGpuIndex(text: string): number | undefined {
  if (!/^[0-9]{1,4}$/.test(text)) return undefined;
  const index = Number(text);
  return index <= MAX_GPU_INDEX ? index : undefined;
}

/** Rounds away binary noise from unit conversions (57.00000000000001 % -> 57 %). */
export function roundMicro(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Judges every reading, appends a drop record for each rejected one (a missing optional reading is
 * not a drop: exporters are configured to leave some out) and returns the sample, or `undefined`
 * when a required reading was dropped.
 */
export function buildGpuSample(
  identity: GpuIdentity,
  eventId: string,
  timeMs: number,
  readings: Partial<Record<GpuReadingField, GpuReading>>,
  dropped: DroppedGpuReading[],
): GpuSample | undefined {
  const values: Partial<Record<GpuReadingField, number>> = {};
  const optionalFields = identity.mig === true ? OPTIONAL_UNDER_MIG : OPTIONAL;
  let complete = true;
  const drop = (metric: string, reason: GpuDropReason): void => {
    dropped.push({ node: identity.node, gpu: identity.gpu, metric, reason });
  };
  for (const [field, reading] of Object.entries(readings) as [GpuReadingField, GpuReading][]) {
    const outcome = judge(field, reading.value);
    if (typeof outcome === 'number') {
      values[field] = outcome;
      continue;
    }
    const optional = optionalFields.has(field);
    if (!optional) complete = false;
    if (!(optional && outcome === 'missing')) drop(reading.metric, outcome);
  }
  for (const field of REQUIRED) {
    if (readings[field] === undefined && !optionalFields.has(field)) {
      drop(field, 'missing');
      complete = false;
    }
  }
  const memory = readings.memoryTotalMiB ?? readings.memoryFreeMiB;
  if (memory === undefined) {
    drop('memoryTotalMiB', 'missing');
    complete = false;
  }
  const { utilizationPct, memoryUsedMiB, powerW, temperatureC } = values;
  if (
    !complete ||
    memory === undefined ||
    memoryUsedMiB === undefined ||
    powerW === undefined ||
    temperatureC === undefined
  ) {
    return undefined;
  }
  const memoryTotalMiB =
    values.memoryTotalMiB ?? roundMicro(memoryUsedMiB + (values.memoryFreeMiB ?? 0) + (values.memoryReservedMiB ?? 0));
  if (memoryTotalMiB > BOUNDS.memoryTotalMiB.max) {
    drop(memory.metric, 'out_of_range');
    return undefined;
  }
  if (memoryUsedMiB > memoryTotalMiB) {
    drop(readings.memoryUsedMiB?.metric ?? 'memoryUsedMiB', 'out_of_range');
    return undefined;
  }
  return {
    eventId,
    time: new Date(timeMs).toISOString(),
    node: identity.node,
    gpuIndex: identity.gpuIndex,
    ...(identity.gpuUuid !== undefined ? { gpuUuid: identity.gpuUuid } : {}),
    ...(identity.gpuModel !== undefined ? { gpuModel: identity.gpuModel } : {}),
    ...(utilizationPct !== undefined ? { utilizationPct } : {}),
    memoryUsedMiB,
    memoryTotalMiB,
    powerW,
    temperatureC,
    ...(values.energyJ !== undefined ? { energyJ: values.energyJ } : {}),
    ...(values.smClockMHz !== undefined ? { smClockMHz: values.smClockMHz } : {}),
  };
}
