// The series registry: one small document per rollup series (token: tenant/model/node; GPU:
// node/gpuIndex) with the first and last UTC hour it has data for, and for GPUs the latest
// sample. The query API lists series here, then reads their rollups by `_id` (point reads,
// the only reads FerretDB serves without a full scan) or by index range on MongoDB.
//
// It is an index, not counted data: every write is idempotent ($min/$max/$setOnInsert), and
// the processor writes it BEFORE the rollups of a batch, so a crash in between leaves a
// series that is listed but still empty (read as zeros), never data that is not listed.
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import { bucketStartMs } from './rollup-documents';

export const SERIES_COLLECTIONS = { tokens: 'token_series', gpu: 'gpu_series' } as const;

export interface TokenSeriesDocument {
  _id: string;
  tenant: string;
  model: string;
  node: string;
  /** Start of the first and last UTC hour with events (1h bucket starts). */
  firstHour: Date;
  lastHour: Date;
}

/** The latest sample of a GPU, as the inventory (`GET /v1/gpus`) shows it. */
export type LatestGpuSample = Omit<GpuSample, 'node' | 'gpuIndex'>;

export interface GpuSeriesDocument {
  _id: string;
  node: string;
  gpuIndex: number;
  firstHour: Date;
  lastHour: Date;
  /** Time of the newest sample stored, and that sample (set only by the sample with this time). */
  lastSeen: Date;
  latest?: LatestGpuSample;
}

export function tokenSeriesId(tenant: string, model: string, node: string): string {
  return JSON.stringify(['t', tenant, model, node]);
}

export function gpuSeriesId(node: string, gpuIndex: number): string {
  return JSON.stringify(['g', node, gpuIndex]);
}

/** What one batch changes in the registry for one series. */
export interface SeriesTouch {
  _id: string;
  identity: Record<string, string | number>;
  firstHourMs: number;
  lastHourMs: number;
  /** GPUs only: the newest sample of the batch for this GPU. */
  latest?: GpuSample;
}

function touch(
  into: Map<string, SeriesTouch>,
  id: string,
  identity: () => Record<string, string | number>,
  timeMs: number,
): SeriesTouch {
  const hourMs = bucketStartMs(timeMs, '1h');
  const current = into.get(id);
  if (current === undefined) {
    const created: SeriesTouch = { _id: id, identity: identity(), firstHourMs: hourMs, lastHourMs: hourMs };
    into.set(id, created);
    return created;
  }
  current.firstHourMs = Math.min(current.firstHourMs, hourMs);
  current.lastHourMs = Math.max(current.lastHourMs, hourMs);
  return current;
}

export function tokenSeriesTouches(
  events: Iterable<Pick<TokenUsageEvent, 'tenant' | 'model' | 'node' | 'time'>>,
): Map<string, SeriesTouch> {
  const into = new Map<string, SeriesTouch>();
  for (const e of events) {
    touch(
      into,
      tokenSeriesId(e.tenant, e.model, e.node),
      () => ({ tenant: e.tenant, model: e.model, node: e.node }),
      Date.parse(e.time),
    );
  }
  return into;
}

export function gpuSeriesTouches(samples: Iterable<GpuSample>): Map<string, SeriesTouch> {
  const into = new Map<string, SeriesTouch>();
  for (const s of samples) {
    const timeMs = Date.parse(s.time);
    const t = touch(into, gpuSeriesId(s.node, s.gpuIndex), () => ({ node: s.node, gpuIndex: s.gpuIndex }), timeMs);
    if (t.latest === undefined || timeMs > Date.parse(t.latest.time)) t.latest = s;
  }
  return into;
}

export function latestOf(sample: GpuSample): LatestGpuSample {
  const { node: _node, gpuIndex: _gpuIndex, ...rest } = sample;
  return rest;
}

/** Every UTC bucket start of `resolution` in [fromMs, toMs) that a series with data in
 * [firstHour, lastHour + 1h) can have. */
export function seriesBucketStarts(
  series: { firstHour: Date; lastHour: Date },
  fromMs: number,
  toMs: number,
  sizeMs: number,
): number[] {
  const start = Math.max(fromMs, series.firstHour.getTime());
  const end = Math.min(toMs, series.lastHour.getTime() + 3_600_000);
  const out: number[] = [];
  for (let t = Math.ceil(start / sizeMs) * sizeMs; t < end; t += sizeMs) out.push(t);
  return out;
}
