import type { EfficiencyPoint, EfficiencyResponse } from './api-types';
import { summarizeEfficiency } from './efficiency';

function point(tokens: number, energyJ: number | null): EfficiencyPoint {
  return {
    t: '2026-12-07T10:00:00.000Z',
    tokens,
    energyJ,
    gpuSeconds: null,
    tokensPerJoule: energyJ === null ? null : tokens / energyJ,
    gpuSecondsPer1kTokens: null,
  };
}

function response(...series: { node: string; model: string; points: EfficiencyPoint[] }[]): EfficiencyResponse {
  return {
    from: '2026-12-07T10:00:00.000Z',
    to: '2026-12-07T11:00:00.000Z',
    step: '1m',
    series: series.map(({ node, model, points }) => ({ key: { node, model }, points })),
  };
}

describe('summarizeEfficiency', () => {
  it('sums tokens and energy and divides the sums', () => {
    const [row] = summarizeEfficiency(
      response({ node: 'n1', model: 'm', points: [point(100, 10), point(300, 90), point(0, null)] }),
    );
    expect(row).toEqual({ node: 'n1', model: 'm', tokens: 400, energyJ: 100, tokensPerJoule: 4 });
  });

  it('has no ratio when no bucket had energy', () => {
    const [row] = summarizeEfficiency(response({ node: 'n1', model: 'm', points: [point(50, null)] }));
    expect(row?.energyJ).toBeNull();
    expect(row?.tokensPerJoule).toBeNull();
  });

  it('has no ratio for zero energy rather than Infinity', () => {
    const [row] = summarizeEfficiency(response({ node: 'n1', model: 'm', points: [point(50, 0)] }));
    expect(row?.energyJ).toBe(0);
    expect(row?.tokensPerJoule).toBeNull();
  });

  it('keeps one row per node and model', () => {
    const rows = summarizeEfficiency(
      response({ node: 'n1', model: 'a', points: [point(1, 1)] }, { node: 'n2', model: 'a', points: [point(2, 1)] }),
    );
    expect(rows.map((r) => `${r.node}/${r.model}:${r.tokens}`)).toEqual(['n1/a:1', 'n2/a:2']);
  });
});
