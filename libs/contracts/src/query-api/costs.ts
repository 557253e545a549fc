// The answers of the cost endpoints (README "Costs"): totals and series in either view, and the
// month-to-date budgets. One definition each: the schema, and its type as `Static<>`. Amounts are
// exact decimal strings (money.ts), never binary floats.
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { countField, nullableNumber, responseObject, timeField } from './schema-helpers';
import { gridFields, seriesField, TokenKeySchema } from './series';

/** The two ways costs are computed (`view`): token-priced and GPU-priced (README "Costs"). */
export const COST_VIEWS = ['tokens', 'gpus'] as const;
export type CostView = (typeof COST_VIEWS)[number];

const ROUNDED_ONCE = 'exact decimal in the currency, rounded half-up to 6 decimals once from the exact sum';

function amountField(description: string) {
  return Type.String({ pattern: '^\\d+\\.\\d{6}$', description });
}

const currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, from the catalog' });
const unpricedGpuMinutes = countField({
  description: 'GPU-minutes with samples but no GPU price in force (all-tenant keys only)',
});

/** Token-priced figures of a row or point (`view=tokens`). */
export const CostFiguresSchema = responseObject({
  inputTokens: countField(),
  cachedInputTokens: countField(),
  outputTokens: countField(),
  unpricedTokens: countField({
    description: 'input + output tokens without a price in force (no catalog entry, or before its first price)',
  }),
  cost: amountField(ROUNDED_ONCE),
});
export type CostFigures = Static<typeof CostFiguresSchema>;

/** GPU cost of buckets in which a node served no tokens: shown to all-tenant keys only. */
export const IdleCostSchema = responseObject({
  gpuCost: amountField(ROUNDED_ONCE),
  energyCost: amountField(ROUNDED_ONCE),
  cost: amountField(ROUNDED_ONCE),
});
export type IdleCost = Static<typeof IdleCostSchema>;

/** GPU-priced figures (`view=gpus`): a group's share of the GPU time and energy of the nodes that served it. */
export const GpuCostFiguresSchema = responseObject({
  tokens: countField({ description: 'input + output tokens of the group: what its share was computed from' }),
  gpuCost: amountField(ROUNDED_ONCE),
  energyCost: amountField(ROUNDED_ONCE),
  cost: amountField('gpuCost + energyCost, rounded once from their exact sum'),
});
export type GpuCostFigures = Static<typeof GpuCostFiguresSchema>;

/** The range, currency and view that every totals answer starts with. */
function totalsFields<V extends CostView>(view: V) {
  return { from: timeField(), to: timeField(), currency, view: Type.Literal(view) };
}

/** The same for a series answer, with the step. */
function seriesFields<V extends CostView>(view: V) {
  return { ...gridFields(), currency, view: Type.Literal(view) };
}

/** A row per group, with the figures of the view. */
function costRows<F extends TProperties>(figures: F) {
  return Type.Array(responseObject({ key: TokenKeySchema, ...figures }));
}

/** A series per group, a point per bucket with the figures of the view. */
function costSeries<F extends TProperties>(figures: F) {
  return seriesField(TokenKeySchema, responseObject({ t: timeField(), ...figures }));
}

export const TokenCostTotalsResponseSchema = responseObject({
  ...totalsFields('tokens'),
  rows: costRows(CostFiguresSchema.properties),
});
export type TokenCostTotalsResponse = Static<typeof TokenCostTotalsResponseSchema>;

export const GpuCostTotalsResponseSchema = responseObject({
  ...totalsFields('gpus'),
  rows: costRows(GpuCostFiguresSchema.properties),
  unattributed: Type.Optional(
    responseObject(IdleCostSchema.properties, {
      description: 'cost of hours in which a node served no tokens (all-tenant keys only)',
    }),
  ),
  unpricedGpuMinutes: Type.Optional(unpricedGpuMinutes),
});
export type GpuCostTotalsResponse = Static<typeof GpuCostTotalsResponseSchema>;

/** `GET /v1/costs/totals` as JSON: one shape per `view`, told apart by `view`. */
export const CostTotalsResponseSchema = Type.Union([TokenCostTotalsResponseSchema, GpuCostTotalsResponseSchema]);
export type CostTotalsResponse = Static<typeof CostTotalsResponseSchema>;

export const TokenCostSeriesResponseSchema = responseObject({
  ...seriesFields('tokens'),
  series: costSeries(CostFiguresSchema.properties),
});
export type TokenCostSeriesResponse = Static<typeof TokenCostSeriesResponseSchema>;

export const GpuCostSeriesResponseSchema = responseObject({
  ...seriesFields('gpus'),
  series: costSeries(GpuCostFiguresSchema.properties),
  unattributed: Type.Optional(Type.Array(responseObject({ t: timeField(), ...IdleCostSchema.properties }))),
  unpricedGpuMinutes: Type.Optional(unpricedGpuMinutes),
});
export type GpuCostSeriesResponse = Static<typeof GpuCostSeriesResponseSchema>;

/** `GET /v1/costs/series`: one shape per `view`, told apart by `view`. */
export const CostSeriesResponseSchema = Type.Union([TokenCostSeriesResponseSchema, GpuCostSeriesResponseSchema]);
export type CostSeriesResponse = Static<typeof CostSeriesResponseSchema>;

export const BudgetItemSchema = responseObject({
  tenant: Type.String(),
  budget: amountField('monthly budget from the price catalog'),
  monthToDate: amountField('token-priced spend since the start of the month, rounded half-up to 6 decimals'),
  usedPct: nullableNumber({
    description: 'monthToDate / budget in percent (2 decimals, truncated); null for a zero budget',
  }),
});
export type BudgetItem = Static<typeof BudgetItemSchema>;

export const BudgetsResponseSchema = responseObject({
  currency,
  month: Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'the UTC calendar month, YYYY-MM' }),
  from: timeField(),
  to: timeField(),
  items: Type.Array(BudgetItemSchema),
});
export type BudgetsResponse = Static<typeof BudgetsResponseSchema>;
