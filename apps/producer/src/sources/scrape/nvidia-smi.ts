/**
 * `nvidia-smi --query-gpu` CSV -> gpu.v1 samples, for hosts without dcgm-exporter (SPEC §5).
 *
 * The fields are documented `--help-query-gpu` properties; with `nounits` the values are plain
 * numbers in %, MiB, W, °C and MHz, already the gpu.v1 units. Energy is left out: not every driver
 * offers it as a query-gpu field, and an unknown field fails the whole command. `[N/A]`,
 * `[Not Supported]`, any other bracketed note and blank cells are missing readings, handled as in
 * dcgm.ts: a GPU missing a required reading gets no sample.
 *
 * MIG. `mig.mode.current` is `Enabled` on a GPU split into MIG instances (`Disabled`, or `[N/A]`
 * on GPUs without MIG, otherwise). The row stays the whole GPU: memory.used and memory.total are
 * the parent's (all instances), power, temperature and clock are device readings. utilization.gpu
 * is `[N/A]` there (nvidia-smi's manual: not supported on MIG-enabled GPUs) and no query-gpu field
 * replaces it, so such a GPU is sampled without a utilisation (gpu.v1: absent = not measured; an
 * invented 0 would read as an idle GPU), keeping its memory, power, temperature and clock, and the
 * reading is counted as dropped, `unsupported` (not `missing`). A GPU without MIG still needs one.
 * dcgm-exporter (DCGM_FI_PROF_GR_ENGINE_ACTIVE) does measure MIG GPUs.
 * `mig.mode.current` exists since driver R450, the first with MIG.
 */
import { scrapedEventId } from './event-id';
import {
  buildGpuSample,
  contractText,
  type GpuReading,
  type GpuSamplesResult,
  parseGpuIndex,
} from './gpu-sample-builder';

export const NVIDIA_SMI_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'temperature.gpu',
  'clocks.current.sm',
  'mig.mode.current',
] as const;

export const NVIDIA_SMI_ARGS: readonly string[] = [
  `--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(',')}`,
  '--format=csv,noheader,nounits',
];

export interface NvidiaSmiOptions {
  timeMs: number;
  /** Host the command ran on. */
  node: string;
}

/** Part of every event id, in place of a scrape URL. */
export const NVIDIA_SMI_SOURCE = 'nvidia-smi';

const FIELD_COUNT = NVIDIA_SMI_QUERY_FIELDS.length;
// The fields before and after `name`: a product name with a comma in it takes the cells between.
const NAME_POSITION = NVIDIA_SMI_QUERY_FIELDS.indexOf('name');
const AFTER_NAME = FIELD_COUNT - NAME_POSITION - 1;
const NUMBER_PATTERN = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
/** Units nvidia-smi prints when `nounits` is forgotten. */
const UNIT_SUFFIX = /\s*(?:%|MiB|W|MHz|C)$/;

function cellValue(cell: string): number | undefined {
  const text = cell.replace(UNIT_SUFFIX, '');
  return NUMBER_PATTERN.test(text) ? Number(text) : undefined;
}

export function gpuSamplesFromNvidiaSmi(csv: string, options: NvidiaSmiOptions): GpuSamplesResult {
  const result: GpuSamplesResult = { samples: [], dropped: [] };
  const node = contractText(options.node);
  const lines = csv.split('\n');
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex += 1) {
    const cells = (lines[lineIndex] ?? '').split(',').map((cell) => cell.trim());
    if (cells.length === 1 && cells[0] === '') continue;
    const gpu = cells[0] ?? '';
    if (gpu === 'index') continue; // a header line: `noheader` was left out
    if (node === undefined) {
      result.dropped.push({ gpu, metric: 'node', reason: 'no_node' });
      continue;
    }
    if (cells.length < FIELD_COUNT) {
      result.dropped.push({ node, gpu, metric: `line ${lineIndex + 1}`, reason: 'missing' });
      continue;
    }
    const gpuIndex = parseGpuIndex(gpu);
    if (gpuIndex === undefined) {
      result.dropped.push({ node, gpu, metric: 'index', reason: gpu === '' ? 'missing' : 'out_of_range' });
      continue;
    }
    const nameEnd = cells.length - AFTER_NAME;
    const after = cells.slice(nameEnd);
    const cell = (field: (typeof NVIDIA_SMI_QUERY_FIELDS)[number]): GpuReading => ({
      metric: field,
      value: cellValue(after[NVIDIA_SMI_QUERY_FIELDS.indexOf(field) - NAME_POSITION - 1] ?? ''),
    });
    const utilization = cell('utilization.gpu');
    const migEnabled = after[NVIDIA_SMI_QUERY_FIELDS.indexOf('mig.mode.current') - NAME_POSITION - 1] === 'Enabled';
    if (migEnabled && utilization.value === undefined) utilization.value = 'unsupported';
    const gpuUuid = contractText(cells[1]);
    const gpuModel = contractText(cells.slice(NAME_POSITION, nameEnd).join(', '));
    const series = gpuUuid === undefined ? [node, gpuIndex] : [node, gpuIndex, gpuUuid];
    const sample = buildGpuSample(
      { node, gpu, gpuIndex, gpuUuid, gpuModel, mig: migEnabled },
      scrapedEventId(NVIDIA_SMI_SOURCE, series, options.timeMs),
      options.timeMs,
      {
        utilizationPct: utilization,
        memoryUsedMiB: cell('memory.used'),
        memoryTotalMiB: cell('memory.total'),
        powerW: cell('power.draw'),
        temperatureC: cell('temperature.gpu'),
        smClockMHz: cell('clocks.current.sm'),
      },
      result.dropped,
    );
    if (sample) result.samples.push(sample);
  }
  return result;
}
