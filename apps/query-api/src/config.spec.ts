import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigValidationError } from '@tokenmeter/telemetry';
import { QueryApiConfig } from './config';

const base = { MONGO_URL: 'mongodb://127.0.0.1:27017/tokenmeter' };
const dir = mkdtempSync(path.join(tmpdir(), 'tm-catalog-'));

function file(name: string, contents: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, contents);
  return at;
}

describe('QueryApiConfig: PRICE_CATALOG_FILE', () => {
  it('has no catalog when the variable is unset', () => {
    expect(QueryApiConfig.fromEnv(base).priceCatalog).toBeNull();
  });

  it('loads a valid catalog at boot', () => {
    const at = file(
      'good.json',
      JSON.stringify({
        currency: 'EUR',
        models: [{ match: 'm*', prices: [{ validFrom: '2026-12-01T00:00:00Z', input: '1', output: '2' }] }],
      }),
    );
    const config = QueryApiConfig.fromEnv({ ...base, PRICE_CATALOG_FILE: at });
    expect(config.priceCatalog?.currency).toBe('EUR');
    expect(config.priceCatalog?.tokenPrice('model-a', Date.parse('2026-12-02T00:00:00Z'))?.output).toBe(2_000_000n);
  });

  it('stops the boot naming the file and every problem in it', () => {
    const at = file('bad.json', JSON.stringify({ currency: 'dollars', models: [{ match: 'm', prices: [] }] }));
    let error: unknown;
    try {
      QueryApiConfig.fromEnv({ ...base, PRICE_CATALOG_FILE: at });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const [problem] = (error as ConfigValidationError).problems;
    expect(problem).toContain('PRICE_CATALOG_FILE');
    expect(problem).toContain(`${at} is not a valid price catalog`);
    expect(problem).toContain('currency: must be a three-letter ISO 4217 code');
    expect(problem).toContain('models[0].prices: must be a non-empty array');
  });

  it('stops the boot when the file cannot be read', () => {
    expect(() => QueryApiConfig.fromEnv({ ...base, PRICE_CATALOG_FILE: path.join(dir, 'missing.json') })).toThrow(
      ConfigValidationError,
    );
  });
});
