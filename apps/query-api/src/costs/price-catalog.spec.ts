import { matcher, parsePriceCatalog, type PriceCatalog } from './price-catalog';

const H = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

function catalog(models: unknown[], currency = 'USD'): PriceCatalog {
  const parsed = parsePriceCatalog(JSON.stringify({ currency, models }));
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.catalog;
}

function problems(value: unknown): string[] {
  const parsed = parsePriceCatalog(typeof value === 'string' ? value : JSON.stringify(value));
  if (parsed.ok) throw new Error('expected the catalog to be refused');
  return parsed.problems;
}

describe('price catalog lookups', () => {
  const prices = (input: string) => [{ validFrom: '2026-12-01T00:00:00Z', input, output: '1' }];

  it('takes the first entry in file order whose match matches, exact names and patterns alike', () => {
    const c = catalog([
      { match: 'llama-3.1-8b', prices: prices('0.1') },
      { match: 'llama-*', prices: prices('0.2') },
      { match: '*', prices: prices('0.3') },
    ]);
    expect(c.tokenPrice('llama-3.1-8b', T0)?.input).toBe(100_000n);
    expect(c.tokenPrice('llama-3.1-70b', T0)?.input).toBe(200_000n);
    expect(c.tokenPrice('qwen2.5-72b', T0)?.input).toBe(300_000n);
  });

  it('does not let a later, more specific entry override an earlier pattern', () => {
    const c = catalog([
      { match: 'llama-*', prices: prices('0.2') },
      { match: 'llama-3.1-8b', prices: prices('0.1') },
    ]);
    expect(c.tokenPrice('llama-3.1-8b', T0)?.input).toBe(200_000n);
  });

  it('leaves a model no entry matches unpriced', () => {
    expect(catalog([{ match: 'llama-*', prices: prices('0.2') }]).tokenPrice('qwen', T0)).toBeUndefined();
  });

  it('applies the price with the latest validFrom at or before the time of use, boundaries included', () => {
    const c = catalog([
      {
        match: 'm',
        prices: [
          { validFrom: '2026-12-01T00:00:00Z', input: '1', output: '2' },
          { validFrom: '2026-12-01T05:00:00Z', input: '3', output: '4' },
        ],
      },
    ]);
    expect(c.tokenPrice('m', T0 - 1)).toBeUndefined();
    expect(c.tokenPrice('m', T0)?.input).toBe(1_000_000n);
    expect(c.tokenPrice('m', T0 + 5 * H - 1)?.input).toBe(1_000_000n);
    expect(c.tokenPrice('m', T0 + 5 * H)?.input).toBe(3_000_000n);
    expect(c.tokenPrice('m', T0 + 500 * H)?.output).toBe(4_000_000n);
    expect(c.priceChanges()).toEqual([T0, T0 + 5 * H]);
  });

  it('prices cached input tokens at the input price when the entry has no cachedInput', () => {
    const c = catalog([
      { match: 'a', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '2.5', output: '10', cachedInput: '1.25' }] },
      { match: 'b', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '2.5', output: '10' }] },
    ]);
    expect(c.tokenPrice('a', T0)).toMatchObject({ input: 2_500_000n, cachedInput: 1_250_000n, output: 10_000_000n });
    expect(c.tokenPrice('b', T0)?.cachedInput).toBe(2_500_000n);
  });

  it('keeps the currency', () => {
    expect(catalog([], 'EUR').currency).toBe('EUR');
  });
});

describe('pattern matching', () => {
  it.each([
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4o*', 'gpt-4o-mini', true],
    ['*-instruct', 'mistral-7b-instruct', true],
    ['*-instruct', 'mistral-7b-instruct-v2', false],
    ['meta-llama/*-8B*', 'meta-llama/Llama-3.1-8B-Instruct', true],
    ['a.b', 'aXb', false],
    ['a+(b)*', 'a+(b)c', true],
    ['*', '', true],
  ])('%s matches %s: %s', (match, model, expected) => {
    expect(matcher(match)(model)).toBe(expected);
  });
});

describe('catalog validation', () => {
  it('names every problem at once, with its path', () => {
    expect(
      problems({
        currency: 'usd',
        extra: 1,
        models: [
          { match: '', prices: [] },
          {
            match: 'm',
            prices: [
              { validFrom: '2026-12-01T00:30:00Z', input: '1', output: '1' },
              { validFrom: 'yesterday', input: '1.1234567', output: 2, cachedInput: '-1', note: 'x' },
            ],
          },
        ],
      }),
    ).toEqual([
      'extra: unknown field',
      'currency: must be a three-letter ISO 4217 code such as "USD"',
      'models[0].match: must be a model name or a pattern with *, 1-256 characters',
      'models[0].prices: must be a non-empty array of prices, each with a validFrom',
      'models[1].prices[0].validFrom: must be a whole UTC hour (prices are constant over each hour bucket)',
      'models[1].prices[1].note: unknown field',
      'models[1].prices[1].validFrom: must be an RFC 3339 date-time such as "2026-12-01T00:00:00Z"',
      'models[1].prices[1].input: must be a decimal string per million tokens, at most 6 decimals, such as "0.25"',
      'models[1].prices[1].output: must be a decimal string per million tokens, at most 6 decimals, such as "0.25"',
      'models[1].prices[1].cachedInput: must be a decimal string per million tokens, at most 6 decimals, such as "0.25"',
    ]);
  });

  it('refuses prices that are not in increasing validFrom order', () => {
    expect(
      problems({
        currency: 'USD',
        models: [
          {
            match: 'm',
            prices: [
              { validFrom: '2026-12-02T00:00:00Z', input: '1', output: '1' },
              { validFrom: '2026-12-01T00:00:00Z', input: '1', output: '1' },
            ],
          },
        ],
      }),
    ).toEqual(['models[0].prices[1].validFrom: must be later than the price before it']);
  });

  it('refuses what is not a JSON object', () => {
    expect(problems('{')[0]).toMatch(/^not valid JSON: /);
    expect(problems('[]')).toEqual(['must be a JSON object with "currency" and "models"']);
    expect(problems({ currency: 'USD' })).toEqual(['models: must be an array of { match, prices }']);
  });

  it('accepts validFrom with an offset when it is a whole UTC hour', () => {
    const c = catalog([{ match: 'm', prices: [{ validFrom: '2026-12-01T02:00:00+02:00', input: '1', output: '1' }] }]);
    expect(c.tokenPrice('m', T0)?.input).toBe(1_000_000n);
    expect(
      problems({
        currency: 'USD',
        models: [{ match: 'm', prices: [{ validFrom: '2026-12-01T02:00:00+05:30', input: '1', output: '1' }] }],
      }),
    ).toHaveLength(1);
  });
});

describe('GPU, energy and budget entries', () => {
  const parsed = parsePriceCatalog(
    JSON.stringify({
      currency: 'USD',
      models: [],
      gpus: [
        { match: { node: 'gpu-node-01' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: '4.00' }] },
        {
          match: { gpuModel: 'NVIDIA H100*' },
          prices: [
            { validFrom: '2026-12-01T00:00:00Z', perGpuHour: '2.49' },
            { validFrom: '2026-12-01T06:00:00Z', perGpuHour: '1.99' },
          ],
        },
      ],
      energy: [{ validFrom: '2026-12-01T00:00:00Z', perKWh: '0.15' }],
      budgets: [
        { tenant: 'acme', monthly: '500.00' },
        { tenant: 'globex', monthly: '0.5' },
      ],
    }),
  );
  const c = parsed.ok ? parsed.catalog : undefined;

  it('matches a GPU on its node first, then on its model, in file order', () => {
    expect(c?.gpuPrice({ node: 'gpu-node-01', gpuModel: 'NVIDIA H100 80GB HBM3' }, T0)?.perGpuHour).toBe(4_000_000n);
    expect(c?.gpuPrice({ node: 'gpu-node-02', gpuModel: 'NVIDIA H100 80GB HBM3' }, T0)?.perGpuHour).toBe(2_490_000n);
    expect(c?.gpuPrice({ node: 'gpu-node-02', gpuModel: 'NVIDIA H100 80GB HBM3' }, T0 + 6 * H)?.perGpuHour).toBe(
      1_990_000n,
    );
    expect(c?.gpuPrice({ node: 'gpu-node-02', gpuModel: 'NVIDIA A100' }, T0)).toBeUndefined();
    expect(c?.gpuPrice({ node: 'gpu-node-02' }, T0)).toBeUndefined();
  });

  it('prices energy from its validFrom and keeps monthly budgets per tenant', () => {
    expect(c?.energyPrice(T0 - 1)).toBeUndefined();
    expect(c?.energyPrice(T0)?.perKWh).toBe(150_000n);
    expect(c?.budgets).toEqual(
      new Map([
        ['acme', 500_000_000n],
        ['globex', 500_000n],
      ]),
    );
  });

  it('names the problems of GPU, energy and budget entries', () => {
    expect(
      problems({
        currency: 'USD',
        models: [],
        gpus: [
          { match: { node: 'a', gpuModel: 'b' }, prices: [{ validFrom: '2026-12-01T00:00:00Z', perGpuHour: 'x' }] },
        ],
        energy: { perKWh: '1' },
        budgets: [
          { tenant: 'a', monthly: '1' },
          { tenant: 'a', monthly: '-1' },
        ],
      }),
    ).toEqual([
      'gpus[0].match: must have exactly one of "node" or "gpuModel"',
      'gpus[0].prices[0].perGpuHour: must be a decimal string per GPU-hour, at most 6 decimals, such as "0.25"',
      'energy: must be a non-empty array of prices, each with a validFrom',
      'budgets[1].tenant: "a" has a budget already',
      'budgets[1].monthly: must be a decimal string per UTC calendar month, at most 6 decimals, such as "500.00"',
    ]);
  });
});
