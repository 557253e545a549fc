/**
 * The answers of the query API endpoints the console reads: the types of the API's own response
 * schemas (`@tokenmeter/contracts/query-api`, one definition for the API, its tests and this
 * console). Imported as types only, so nothing of the library reaches the bundle. The console
 * trusts its own origin's API and does not re-validate the answers.
 */
import type { TokenCostTotalsResponse, TokenTotalsResponse } from '@tokenmeter/contracts/query-api';

export type {
  BudgetItem,
  BudgetsResponse,
  EfficiencyPoint,
  EfficiencyResponse,
  GpuPoint,
  GpuSeriesResponse,
  Percentiles,
  TokenKey as GroupKey,
  TokenPoint,
  TokenSeriesResponse,
  TokenTotalsResponse,
  TokenCostTotalsResponse as CostTotalsResponse,
} from '@tokenmeter/contracts/query-api';

export type TokenTotalsRow = TokenTotalsResponse['rows'][number];
export type CostTokensRow = TokenCostTotalsResponse['rows'][number];
