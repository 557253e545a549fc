// The query API's answers as its response schemas define them (apps/query-api/src/*/*.responses.ts,
// the schemas the OpenAPI document shows): the type of each endpoint's answer, and a check that an
// answer conforms, so the schemas cannot drift from what the API returns.
import { FormatRegistry, KindGuard, type Static, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { RFC3339_PATTERN } from '@tokenmeter/contracts';
import {
  BudgetsResponseSchema,
  CostSeriesResponseSchema,
  CostTotalsResponseSchema,
} from '@tokenmeter/contracts/query-api';
import { GpuSamplePageSchema, TokenEventPageSchema, TokenIntervalPageSchema } from '@tokenmeter/contracts/query-api';
import { ProblemSchema } from '@tokenmeter/contracts/query-api';
import {
  EfficiencyResponseSchema,
  GpuInventoryResponseSchema,
  GpuSeriesResponseSchema,
  TokenSeriesResponseSchema,
  TokenTotalsResponseSchema,
} from '@tokenmeter/contracts/query-api';

/** The answer schema of each JSON endpoint, by path. */
export const QUERY_API_ANSWERS = {
  '/v1/tokens/series': TokenSeriesResponseSchema,
  '/v1/tokens/totals': TokenTotalsResponseSchema,
  '/v1/gpus/series': GpuSeriesResponseSchema,
  '/v1/gpus': GpuInventoryResponseSchema,
  '/v1/efficiency': EfficiencyResponseSchema,
  '/v1/costs/totals': CostTotalsResponseSchema,
  '/v1/costs/series': CostSeriesResponseSchema,
  '/v1/costs/budgets': BudgetsResponseSchema,
  '/v1/events/tokens': TokenEventPageSchema,
  '/v1/events/token-intervals': TokenIntervalPageSchema,
  '/v1/events/gpus': GpuSamplePageSchema,
} as const;
export type QueryApiPath = keyof typeof QUERY_API_ANSWERS;
export type QueryApiAnswer<P extends QueryApiPath> = Static<(typeof QUERY_API_ANSWERS)[P]>;

const RFC3339 = new RegExp(RFC3339_PATTERN);
// TypeBox rejects a format it has not been told about: responses carry RFC 3339 instants.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
}

const compiled = new Map<TSchema, TypeCheck<TSchema>>();

/**
 * Every way `value` departs from `schema` (at most 20), as `path: message`; [] when it conforms.
 * A union (the cost answers, one shape per view) names the departures from each of its shapes.
 */
export function schemaViolations(schema: TSchema, value: unknown): string[] {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(value)) return [];
  const violations = KindGuard.IsUnion(schema)
    ? schema.anyOf.flatMap((shape, i) => schemaViolations(shape, value).map((v) => `(shape ${i}) ${v}`))
    : [...check.Errors(value)].map((e) => `${e.path === '' ? '/' : e.path}: ${e.message}`);
  return violations.slice(0, 20);
}

/** `body` as the answer of `pathname`; throws naming every difference from its schema. */
export function checkedAnswer<P extends QueryApiPath>(pathname: P, body: unknown): QueryApiAnswer<P> {
  const violations = schemaViolations(QUERY_API_ANSWERS[pathname], body);
  if (violations.length > 0) {
    throw new Error(`${pathname} answered outside its response schema:\n  ${violations.join('\n  ')}`);
  }
  return body as QueryApiAnswer<P>;
}

/** GET `pathname` with `params` (and an API key): its 200 answer, checked against its response schema. */
export async function getAnswer<P extends QueryApiPath>(
  baseUrl: string,
  pathname: P,
  params: Record<string, string>,
  key?: string,
): Promise<QueryApiAnswer<P>> {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const res = await fetch(`${baseUrl}${pathname}?${new URLSearchParams(params).toString()}`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${pathname} answered ${res.status}: ${text}`);
  return checkedAnswer(pathname, JSON.parse(text));
}

/** Differences of an error body from the problem+json schema every error shares. */
export function problemViolations(body: unknown): string[] {
  return schemaViolations(ProblemSchema, body);
}
