import { requestPath } from './request-path';

describe('requestPath', () => {
  it('keeps parameter order, commas and colons readable', () => {
    expect(
      requestPath('/v1/tokens/totals', [
        ['from', '2026-12-06T10:00:00Z'],
        ['to', '2026-12-07T10:00:00Z'],
        ['groupBy', 'tenant,model'],
      ]),
    ).toBe('/v1/tokens/totals?from=2026-12-06T10:00:00Z&to=2026-12-07T10:00:00Z&groupBy=tenant,model');
  });

  it('leaves out empty filters', () => {
    expect(
      requestPath('/v1/gpus/series', [
        ['node', ''],
        ['from', 'x'],
      ]),
    ).toBe('/v1/gpus/series?from=x');
    expect(requestPath('/v1/costs/budgets', [])).toBe('/v1/costs/budgets');
  });

  it('encodes everything else', () => {
    const path = requestPath('/v1/tokens/series', [['model', 'org/m&x=1 #2+']]);
    expect(path).toBe('/v1/tokens/series?model=org%2Fm%26x%3D1%20%232%2B');
    expect(new URL(path, 'http://h').searchParams.get('model')).toBe('org/m&x=1 #2+');
  });
});
