// JSON Schemas of the query API's responses, for the OpenAPI document (and the e2e tests,
// which validate every response against them).
import type { SchemaObject } from '@nestjs/swagger';

const time: SchemaObject = { type: 'string', format: 'date-time' };
const nullableNumber: SchemaObject = { type: ['number', 'null'] };
const integer: SchemaObject = { type: 'integer', minimum: 0 };

function object(properties: Record<string, SchemaObject>, optional: string[] = []): SchemaObject {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}

const percentiles = object({ p50: nullableNumber, p95: nullableNumber, p99: nullableNumber });
const avgMax = object({ avg: nullableNumber, max: nullableNumber });
const tokenKey: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: { model: { type: 'string' }, tenant: { type: 'string' }, node: { type: 'string' } },
};
const tokenCounts = {
  requests: integer,
  errors: integer,
  inputTokens: integer,
  outputTokens: integer,
  cachedInputTokens: integer,
};

export const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: object({ name: { type: 'string' }, message: { type: 'string' } }),
    },
  },
};

export const TOKEN_SERIES_RESPONSE = object({
  from: time,
  to: time,
  step: { type: 'string' },
  series: {
    type: 'array',
    items: object({
      key: tokenKey,
      points: {
        type: 'array',
        items: object({
          t: time,
          ...tokenCounts,
          tokensPerSecond: { type: 'number', description: 'output tokens per second of the bucket' },
          ttftMs: percentiles,
          durationMs: percentiles,
        }),
      },
    }),
  },
});

export const TOKEN_TOTALS_RESPONSE = object({
  from: time,
  to: time,
  rows: { type: 'array', items: object({ key: tokenKey, ...tokenCounts }) },
});

export const GPU_SERIES_RESPONSE = object({
  from: time,
  to: time,
  step: { type: 'string' },
  series: {
    type: 'array',
    items: object({
      key: object({ node: { type: 'string' }, gpuIndex: integer }),
      points: {
        type: 'array',
        items: object(
          {
            t: time,
            samples: integer,
            utilizationPct: {
              ...avgMax,
              description:
                'over the samples that measured utilisation (it is optional, e.g. absent for a MIG GPU on nvidia-smi); ' +
                'null when none did',
            },
            memoryUsedMiB: avgMax,
            powerW: avgMax,
            temperatureC: object({ max: nullableNumber }),
            energyJ: { type: 'number', description: 'energy used in the bucket, from the cumulative counter' },
          },
          ['energyJ'],
        ),
      },
    }),
  },
});

export const GPU_INVENTORY_RESPONSE = object({
  items: {
    type: 'array',
    items: object(
      {
        node: { type: 'string' },
        gpuIndex: integer,
        gpuUuid: { type: 'string' },
        gpuModel: { type: 'string' },
        lastSeen: time,
        latest: {
          type: ['object', 'null'],
          description:
            'the newest GpuSample (without node and gpuIndex); utilizationPct is absent when it was not measured',
        },
      },
      ['gpuUuid', 'gpuModel'],
    ),
  },
});

export const EFFICIENCY_RESPONSE = object({
  from: time,
  to: time,
  step: { type: 'string' },
  series: {
    type: 'array',
    items: object({
      key: object({ node: { type: 'string' }, model: { type: 'string' } }),
      points: {
        type: 'array',
        items: object({
          t: time,
          tokens: integer,
          energyJ: nullableNumber,
          gpuSeconds: nullableNumber,
          tokensPerJoule: nullableNumber,
          gpuSecondsPer1kTokens: nullableNumber,
        }),
      },
    }),
  },
});

const currency: SchemaObject = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217, from the catalog' };
const costFigures = {
  inputTokens: integer,
  cachedInputTokens: integer,
  outputTokens: integer,
  unpricedTokens: {
    ...integer,
    description: 'input + output tokens without a price in force (no catalog entry, or before its first price)',
  },
  cost: {
    type: 'string',
    pattern: '^\\d+\\.\\d{6}$',
    description: 'exact decimal in the currency, rounded half-up to 6 decimals once from the exact sum',
  },
};

const gpuCostFigures = {
  tokens: { ...integer, description: 'input + output tokens of the group: what its share was computed from' },
  gpuCost: costFigures.cost,
  energyCost: costFigures.cost,
  cost: { ...costFigures.cost, description: 'gpuCost + energyCost, rounded once from their exact sum' },
};
const idleCost = object({ gpuCost: costFigures.cost, energyCost: costFigures.cost, cost: costFigures.cost }, []);
const unpricedGpuMinutes: SchemaObject = {
  ...integer,
  description: 'GPU-minutes with samples but no GPU price in force (all-tenant keys only)',
};
const view = (name: string): SchemaObject => ({ type: 'string', enum: [name] });

export const COST_TOTALS_RESPONSE: SchemaObject = {
  oneOf: [
    object({
      from: time,
      to: time,
      currency,
      view: view('tokens'),
      rows: { type: 'array', items: object({ key: tokenKey, ...costFigures }) },
    }),
    object(
      {
        from: time,
        to: time,
        currency,
        view: view('gpus'),
        rows: { type: 'array', items: object({ key: tokenKey, ...gpuCostFigures }) },
        unattributed: {
          ...idleCost,
          description: 'cost of hours in which a node served no tokens (all-tenant keys only)',
        },
        unpricedGpuMinutes,
      },
      ['unattributed', 'unpricedGpuMinutes'],
    ),
  ],
};

export const COST_SERIES_RESPONSE: SchemaObject = {
  oneOf: [
    object({
      from: time,
      to: time,
      step: { type: 'string' },
      currency,
      view: view('tokens'),
      series: {
        type: 'array',
        items: object({ key: tokenKey, points: { type: 'array', items: object({ t: time, ...costFigures }) } }),
      },
    }),
    object(
      {
        from: time,
        to: time,
        step: { type: 'string' },
        currency,
        view: view('gpus'),
        series: {
          type: 'array',
          items: object({ key: tokenKey, points: { type: 'array', items: object({ t: time, ...gpuCostFigures }) } }),
        },
        unattributed: {
          type: 'array',
          items: object({ t: time, gpuCost: costFigures.cost, energyCost: costFigures.cost, cost: costFigures.cost }),
        },
        unpricedGpuMinutes,
      },
      ['unattributed', 'unpricedGpuMinutes'],
    ),
  ],
};

export const BUDGETS_RESPONSE: SchemaObject = object({
  currency,
  month: { type: 'string', pattern: '^\\d{4}-\\d{2}$', description: 'the UTC calendar month, YYYY-MM' },
  from: time,
  to: time,
  items: {
    type: 'array',
    items: object({
      tenant: { type: 'string' },
      budget: { ...costFigures.cost, description: 'monthly budget from the price catalog' },
      monthToDate: { ...costFigures.cost, description: 'token-priced spend since the start of the month' },
      usedPct: { type: ['number', 'null'], description: 'monthToDate / budget in percent (2 decimals, truncated)' },
    }),
  },
});
