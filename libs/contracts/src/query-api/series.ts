// The answers of the rollup endpoints (README "Query API"): token series and totals, GPU series
// and inventory, efficiency. One definition each: the schema, and its type as `Static<>`.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { GpuSampleSchema } from '../gpu-sample';
import { countField, nullable, nullableNumber, responseObject, timeField } from './schema-helpers';

/** The bucket sizes of series (`step`), finest first; aligned to UTC. */
export const STEPS = ['1m', '5m', '15m', '1h', '6h', '1d'] as const;
export type Step = (typeof STEPS)[number];

export const StepSchema = Type.Union(
  STEPS.map((step) => Type.Literal(step)),
  { description: 'the bucket size' },
);

/** The aligned range and the step that every series answer starts with. */
export function gridFields() {
  return { from: timeField(), to: timeField(), step: StepSchema };
}

/** One series per key, with a point per bucket of the grid. */
export function seriesField<K extends TSchema, P extends TSchema>(key: K, point: P) {
  return Type.Array(responseObject({ key, points: Type.Array(point) }));
}

/** The values of the `groupBy` fields of a series or row; `{}` without `groupBy`. */
export const TokenKeySchema = responseObject({
  model: Type.Optional(Type.String()),
  tenant: Type.Optional(Type.String()),
  node: Type.Optional(Type.String()),
});
export type TokenKey = Static<typeof TokenKeySchema>;

export const PercentilesSchema = responseObject({
  p50: nullableNumber(),
  p95: nullableNumber(),
  p99: nullableNumber(),
});
export type Percentiles = Static<typeof PercentilesSchema>;

export const TokenCountsSchema = responseObject({
  requests: countField(),
  errors: countField(),
  inputTokens: countField(),
  outputTokens: countField(),
  cachedInputTokens: countField(),
});
export type TokenCounts = Static<typeof TokenCountsSchema>;

export const TokenPointSchema = responseObject({
  t: timeField(),
  ...TokenCountsSchema.properties,
  tokensPerSecond: Type.Number({ description: 'output tokens per second of the bucket' }),
  ttftMs: PercentilesSchema,
  durationMs: PercentilesSchema,
});
export type TokenPoint = Static<typeof TokenPointSchema>;

export const TokenSeriesResponseSchema = responseObject({
  ...gridFields(),
  series: seriesField(TokenKeySchema, TokenPointSchema),
});
export type TokenSeriesResponse = Static<typeof TokenSeriesResponseSchema>;

export const TokenTotalsResponseSchema = responseObject({
  from: timeField(),
  to: timeField(),
  rows: Type.Array(responseObject({ key: TokenKeySchema, ...TokenCountsSchema.properties })),
});
export type TokenTotalsResponse = Static<typeof TokenTotalsResponseSchema>;

function avgMax(options: { description?: string } = {}) {
  return responseObject({ avg: nullableNumber(), max: nullableNumber() }, options);
}

export const GpuPointSchema = responseObject({
  t: timeField(),
  samples: countField(),
  utilizationPct: avgMax({
    description:
      'over the samples that measured utilisation (it is optional, e.g. absent for a MIG GPU on nvidia-smi); ' +
      'null when none did',
  }),
  memoryUsedMiB: avgMax(),
  powerW: avgMax(),
  temperatureC: responseObject({ max: nullableNumber() }),
  energyJ: Type.Optional(
    Type.Number({
      description:
        'energy used in the bucket, from the cumulative counter; absent when no sample carried the energy counter',
    }),
  ),
});
export type GpuPoint = Static<typeof GpuPointSchema>;

export const GpuSeriesResponseSchema = responseObject({
  ...gridFields(),
  series: seriesField(responseObject({ node: Type.String(), gpuIndex: countField() }), GpuPointSchema),
});
export type GpuSeriesResponse = Static<typeof GpuSeriesResponseSchema>;

export const GpuInventoryItemSchema = responseObject({
  node: Type.String(),
  gpuIndex: countField(),
  gpuUuid: Type.Optional(Type.String()),
  gpuModel: Type.Optional(Type.String()),
  lastSeen: timeField(),
  latest: nullable(Type.Omit(GpuSampleSchema, ['node', 'gpuIndex'], { title: 'LatestGpuSample' }), {
    description: 'the newest GpuSample (without node and gpuIndex); utilizationPct is absent when it was not measured',
  }),
});
export type GpuInventoryItem = Static<typeof GpuInventoryItemSchema>;

export const GpuInventoryResponseSchema = responseObject({ items: Type.Array(GpuInventoryItemSchema) });
export type GpuInventoryResponse = Static<typeof GpuInventoryResponseSchema>;

export const EfficiencyPointSchema = responseObject({
  t: timeField(),
  tokens: countField({ description: 'input plus output tokens of the model on the node' }),
  energyJ: nullableNumber({
    description: "the node's GPU energy in the bucket, attributed to models by their share of the node's tokens",
  }),
  gpuSeconds: nullableNumber({
    description: 'busy GPU-seconds (mean utilization × time) of the node, attributed the same way',
  }),
  tokensPerJoule: nullableNumber(),
  gpuSecondsPer1kTokens: nullableNumber(),
});
export type EfficiencyPoint = Static<typeof EfficiencyPointSchema>;

export const EfficiencyResponseSchema = responseObject({
  ...gridFields(),
  series: seriesField(responseObject({ node: Type.String(), model: Type.String() }), EfficiencyPointSchema),
});
export type EfficiencyResponse = Static<typeof EfficiencyResponseSchema>;
