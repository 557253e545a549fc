/** The efficiency table: each node/model's tokens and energy summed over the range. */
import type { EfficiencyResponse } from './api-types';

export interface EfficiencyRow {
  readonly node: string;
  readonly model: string;
  readonly tokens: number;
  /** null when no bucket of the range had an energy reading. */
  readonly energyJ: number | null;
  readonly tokensPerJoule: number | null;
}

export function summarizeEfficiency(response: EfficiencyResponse): EfficiencyRow[] {
  return response.series.map(({ key, points }) => {
    let tokens = 0;
    let energyJ: number | null = null;
    for (const point of points) {
      tokens += point.tokens;
      if (point.energyJ !== null) energyJ = (energyJ ?? 0) + point.energyJ;
    }
    // Ratio of the two sums shown beside it, not a mean of per-bucket ratios.
    const tokensPerJoule = energyJ !== null && energyJ > 0 ? tokens / energyJ : null;
    return { node: key.node, model: key.model, tokens, energyJ, tokensPerJoule };
  });
}
