import type { TokenRollupDocument } from '@tokenmeter/storage';
import { planGrid } from '../series/time-grid';
import { CostAccumulator, readResolution, splitAt } from './cost.service';
import { toCsv } from './csv';
import { wantsCsv } from './costs.controller';
import { formatPicos, parseMicros, tokenCount } from './money';
import { parsePriceCatalog, type PriceCatalog } from './price-catalog';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = Date.parse('2026-12-01T00:00:00Z');

function catalog(models: unknown[]): PriceCatalog {
  const parsed = parsePriceCatalog(JSON.stringify({ currency: 'USD', models }));
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.catalog;
}

function doc(model: string, startMs: number, counts: Partial<TokenRollupDocument>): TokenRollupDocument {
  return {
    model,
    tenant: 't',
    node: 'n',
    bucketStart: new Date(startMs),
    inputTokens: 0,
    outputTokens: 0,
    ...counts,
  } as TokenRollupDocument;
}

describe('money', () => {
  it.each([
    ['0', 0n],
    ['0.25', 250_000n],
    ['2.5', 2_500_000n],
    ['10.000001', 10_000_001n],
    ['999999999999.999999', 999_999_999_999_999_999n],
  ])('parses %s as %s micro-units', (text, micros) => {
    expect(parseMicros(text)).toBe(micros);
  });

  it.each(['', '.5', '1.', '-1', '1e3', '0.1234567', ' 1', '1,5', '0x10', '1000000000000'])('refuses %j', (text) => {
    expect(parseMicros(text)).toBeUndefined();
  });

  it('rounds half-up to 6 decimals, once', () => {
    expect(formatPicos(0n)).toBe('0.000000');
    expect(formatPicos(499_999n)).toBe('0.000000');
    expect(formatPicos(500_000n)).toBe('0.000001');
    expect(formatPicos(1_234_567_890_123n)).toBe('1.234568');
    expect(formatPicos(12_000_000_000_000_000_000n)).toBe('12000000.000000');
    expect(() => formatPicos(-1n)).toThrow(RangeError);
  });

  it('reads token counts exactly and refuses what is not one', () => {
    expect(tokenCount(2 ** 53 - 1)).toBe(9_007_199_254_740_991n);
    expect(tokenCount(undefined)).toBe(0n);
    expect(() => tokenCount(1.5)).toThrow(RangeError);
    expect(() => tokenCount(-1)).toThrow(RangeError);
  });
});

describe('CostAccumulator', () => {
  const c = catalog([
    {
      match: 'm',
      prices: [
        { validFrom: '2026-12-01T00:00:00Z', input: '0.20', output: '0.60', cachedInput: '0.05' },
        { validFrom: '2026-12-01T02:00:00Z', input: '0.25', output: '0.75', cachedInput: '0.05' },
      ],
    },
  ]);

  it('prices uncached input, cached input and output tokens at the price in force at each bucket start', () => {
    const acc = new CostAccumulator();
    // Before the change: (1,000,000 − 200,000) × 0.20 + 200,000 × 0.05 + 500,000 × 0.60 = 0.16 + 0.01 + 0.30
    acc.add(doc('m', T0 + H, { inputTokens: 1_000_000, cachedInputTokens: 200_000, outputTokens: 500_000 }), c);
    // At the change: 3 × 0.25 + 7 × 0.75 per million = 0.000006 exactly
    acc.add(doc('m', T0 + 2 * H, { inputTokens: 3, outputTokens: 7 }), c);
    expect(acc.figures()).toEqual({
      inputTokens: 1_000_003,
      cachedInputTokens: 200_000,
      outputTokens: 500_007,
      unpricedTokens: 0,
      cost: '0.470006',
    });
  });

  it('sums exactly and rounds once: a million single tokens at 0.000001 per million cost 0.000001', () => {
    const tiny = catalog([
      { match: 'x', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '0.000001', output: '0' }] },
    ]);
    const acc = new CostAccumulator();
    for (let i = 0; i < 1_000; i += 1) acc.add(doc('x', T0 + i * 60_000, { inputTokens: 1_000 }), tiny);
    expect(acc.figures().cost).toBe('0.000001');
  });

  it('counts the tokens of an unpriced model or time without costing them', () => {
    const acc = new CostAccumulator();
    acc.add(doc('other', T0 + H, { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 }), c);
    acc.add(doc('m', T0 - H, { inputTokens: 1, outputTokens: 1 }), c);
    expect(acc.figures()).toEqual({
      inputTokens: 11,
      cachedInputTokens: 2,
      outputTokens: 6,
      unpricedTokens: 17,
      cost: '0.000000',
    });
  });
});

describe('ranges and price changes', () => {
  it('splits a range where a price starts inside it, and only there', () => {
    expect(splitAt(0, 10, [0, 4, 7, 10, 12])).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    expect(splitAt(0, 10, [])).toEqual([[0, 10]]);
  });

  it('reads hour buckets for a day step only when a price starts inside one of its days', () => {
    const midDay = catalog([{ match: 'm', prices: [{ validFrom: '2026-12-03T12:00:00Z', input: '1', output: '1' }] }]);
    const atMidnight = catalog([
      { match: 'm', prices: [{ validFrom: '2026-12-03T00:00:00Z', input: '1', output: '1' }] },
    ]);
    const days = planGrid({ fromMs: T0, toMs: T0 + 7 * DAY }, '1d');
    expect(readResolution(days, midDay)).toBe('1h');
    expect(readResolution(days, atMidnight)).toBe('1d');
    expect(readResolution(planGrid({ fromMs: T0, toMs: T0 + DAY }, '5m'), midDay)).toBe('1m');
  });
});

describe('CSV', () => {
  it('writes RFC 4180: CRLF line ends, quotes around commas, quotes and line breaks, quotes doubled', () => {
    expect(
      toCsv([
        ['tenant', 'cost'],
        ['a,b', '1.000000'],
        ['say "hi"', 2],
        ['line\nbreak', ''],
      ]),
    ).toBe('tenant,cost\r\n"a,b",1.000000\r\n"say ""hi""",2\r\n"line\nbreak",\r\n');
  });

  it('is chosen by text/csv among the Accept types', () => {
    expect(wantsCsv('text/csv')).toBe(true);
    expect(wantsCsv('application/json;q=0.5, TEXT/CSV; charset=utf-8')).toBe(true);
    expect(wantsCsv('application/json')).toBe(false);
    expect(wantsCsv('*/*')).toBe(false);
    expect(wantsCsv(undefined)).toBe(false);
  });
});
