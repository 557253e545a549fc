import type {
  GpuRollupDocument,
  GpuSeriesDocument,
  TokenRollupDocument,
  TokenSeriesDocument,
} from '@tokenmeter/storage';
import type { RollupPiece, RollupReader } from '../storage/rollup.reader';
import { attributeGpuCost, attributionPieces } from './gpu-attribution';
import { formatPicos } from './money';
import { parsePriceCatalog, type PriceCatalog } from './price-catalog';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00Z');

const catalog = ((): PriceCatalog => {
  const parsed = parsePriceCatalog(
    JSON.stringify({
      currency: 'USD',
      models: [],
      gpus: [
        { match: { node: 'cheap' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '1.00' }] },
        { match: { gpuModel: 'H100*' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '3.00' }] },
      ],
      energy: [{ validFrom: '2026-12-01T00:00:00Z', perKWh: '0.36' }],
    }),
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.catalog;
})();

const tokenDoc = (tenant: string, node: string, startMs: number, tokens: number): TokenRollupDocument =>
  ({
    tenant,
    model: 'm',
    node,
    bucketStart: new Date(startMs),
    inputTokens: tokens,
    outputTokens: 0,
  }) as TokenRollupDocument;

const gpuDoc = (node: string, gpuIndex: number, startMs: number, resolution: '1m' | '1h', energy?: [number, number]) =>
  ({
    _id: JSON.stringify([node, gpuIndex, resolution, startMs]),
    node,
    gpuIndex,
    resolution,
    bucketStart: new Date(startMs),
    samples: 4,
    ...(energy === undefined ? {} : { energyJMin: energy[0], energyJMax: energy[1] }),
  }) as unknown as GpuRollupDocument;

function readerOf(
  tokens: TokenRollupDocument[],
  gpus: GpuRollupDocument[],
  inventory: GpuSeriesDocument[],
): RollupReader {
  const inPieces = (start: Date, pieces: readonly RollupPiece[]) =>
    pieces.some((p) => start.getTime() >= p.fromMs && start.getTime() < p.toMs);
  return {
    tokenSeries: () => Promise.resolve([{ _id: 's' } as unknown as TokenSeriesDocument]),
    gpuSeries: () => Promise.resolve(inventory),
    tokenRollupsCovering: (_series: unknown, pieces: readonly RollupPiece[]) =>
      Promise.resolve(tokens.filter((d) => inPieces(d.bucketStart, pieces))),
    gpuRollups: (_series: unknown, resolution: string, fromMs: number, toMs: number) =>
      Promise.resolve(
        gpus.filter(
          (d) => d.resolution === resolution && d.bucketStart.getTime() >= fromMs && d.bucketStart.getTime() < toMs,
        ),
      ),
  } as unknown as RollupReader;
}

const inventory = [
  { node: 'n1', gpuIndex: 0, latest: { gpuModel: 'H100 80GB' } },
  { node: 'n1', gpuIndex: 1, latest: { gpuModel: 'A10' } },
  { node: 'cheap', gpuIndex: 0 },
] as unknown as GpuSeriesDocument[];

describe('attributionPieces', () => {
  it('uses hours inside the range and minutes at its partial hours, never days', () => {
    expect(attributionPieces(T0 + 15 * M, T0 + 26 * H + 5 * M)).toEqual([
      { resolution: '1m', fromMs: T0 + 15 * M, toMs: T0 + H },
      { resolution: '1h', fromMs: T0 + H, toMs: T0 + 26 * H },
      { resolution: '1m', fromMs: T0 + 26 * H, toMs: T0 + 26 * H + 5 * M },
    ]);
    expect(attributionPieces(T0 + M, T0 + 2 * M)).toEqual([{ resolution: '1m', fromMs: T0 + M, toMs: T0 + 2 * M }]);
  });
});

describe('attributeGpuCost', () => {
  it('splits a node-hour by token share, prices each GPU by its entry, leaves idle hours unattributed', async () => {
    const reader = readerOf(
      [tokenDoc('a', 'n1', T0, 1), tokenDoc('b', 'n1', T0, 2), tokenDoc('a', 'cheap', T0 + H, 5)],
      [
        // n1, hour 0: GPU 0 (H100, 3.00/h) with 3,600,000 J = 1 kWh (0.36); GPU 1 (A10) has no price.
        gpuDoc('n1', 0, T0, '1h', [0, 3_600_000]),
        gpuDoc('n1', 1, T0, '1h'),
        // cheap, hour 0: no tokens there (idle); hour 1: tenant a alone.
        gpuDoc('cheap', 0, T0, '1h'),
        gpuDoc('cheap', 0, T0 + H, '1h'),
      ],
      inventory,
    );

    const result = await attributeGpuCost(reader, catalog, [{ resolution: '1h', fromMs: T0, toMs: T0 + 2 * H }], {}, [
      'tenant',
    ]);

    const byTenant = (tenant: string) => result.shares.filter((s) => s.key.tenant === tenant);
    const sum = (parts: { gpuPicos: bigint }[]) => formatPicos(parts.reduce((a, p) => a + p.gpuPicos, 0n));
    const energy = (parts: { energyPicos: bigint }[]) => formatPicos(parts.reduce((a, p) => a + p.energyPicos, 0n));
    // a: 1/3 of 3.00 + all of cheap's hour 1 (1.00); b: 2/3 of 3.00. Energy 0.36 split 1:2.
    expect(sum(byTenant('a'))).toBe('2.000000');
    expect(sum(byTenant('b'))).toBe('2.000000');
    expect(energy(byTenant('a'))).toBe('0.120000');
    expect(energy(byTenant('b'))).toBe('0.240000');
    expect(result.idle).toEqual([{ bucketStartMs: T0, gpuPicos: 1_000_000_000_000n, energyPicos: 0n }]);
    expect(result.unpricedGpuMinutes).toBe(60);
  });

  it('rounds each share half-up to a pico-unit and computes shares over every tenant, whatever the filter', async () => {
    const reader = readerOf(
      [tokenDoc('a', 'cheap', T0, 1), tokenDoc('b', 'cheap', T0, 2)],
      [gpuDoc('cheap', 0, T0, '1m')],
      inventory,
    );
    // One minute of 1.00/h = 1/60 of a unit: a third of it is 5,555,555.555… pico → 5,555,556.
    const result = await attributeGpuCost(
      reader,
      catalog,
      [{ resolution: '1m', fromMs: T0, toMs: T0 + M }],
      { tenantIn: ['a'] },
      ['tenant'],
    );
    expect(result.shares).toEqual([
      { bucketStartMs: T0, key: { tenant: 'a' }, tokens: 1n, gpuPicos: 5_555_555_556n, energyPicos: 0n },
    ]);
  });

  it('takes a bucket’s energy from the previous bucket’s counter when they are adjacent', async () => {
    const reader = readerOf(
      [tokenDoc('a', 'n1', T0 + M, 10)],
      [gpuDoc('n1', 0, T0, '1m', [1_000, 2_000]), gpuDoc('n1', 0, T0 + M, '1m', [2_100, 2_500])],
      inventory,
    );
    const result = await attributeGpuCost(
      reader,
      catalog,
      [{ resolution: '1m', fromMs: T0 + M, toMs: T0 + 2 * M }],
      {},
      [],
    );
    // 500 J since the previous minute's 2,000 J: 500,000 mJ × 0.36/kWh = 0.00005 units.
    expect(result.shares.map((s) => formatPicos(s.energyPicos))).toEqual(['0.000050']);
  });
});
