import { DEFAULT_VIEW, normalizeRfc3339, parseViewState, serializeViewState, type ViewState } from './url-state';

function view(overrides: Partial<ViewState> = {}): ViewState {
  return { ...DEFAULT_VIEW, ...overrides };
}

describe('parseViewState', () => {
  it('gives the default view for an empty query', () => {
    expect(parseViewState('')).toEqual(DEFAULT_VIEW);
  });

  it('reads every parameter of a shared link', () => {
    expect(
      parseViewState(
        '?range=custom&from=2026-12-06T10:00:00Z&to=2026-12-07T10:00:00Z&tenant=acme&model=m%2Cx&node=n1&refresh=5m',
      ),
    ).toEqual({
      range: { name: 'custom', from: '2026-12-06T10:00:00Z', to: '2026-12-07T10:00:00Z' },
      filters: { tenant: 'acme', model: 'm,x', node: 'n1' },
      refresh: '5m',
    });
  });

  it.each([
    ['unknown range', '?range=2h'],
    ['custom without bounds', '?range=custom'],
    ['custom with a malformed bound', '?range=custom&from=yesterday&to=2026-12-07T10:00:00Z'],
    ['custom with from after to', '?range=custom&from=2026-12-08T00:00:00Z&to=2026-12-07T00:00:00Z'],
    ['custom with equal bounds', '?range=custom&from=2026-12-07T00:00:00Z&to=2026-12-07T00:00:00Z'],
    ['custom with an impossible date', '?range=custom&from=2026-13-45T00:00:00Z&to=2026-12-07T00:00:00Z'],
  ])('falls back to the default range for %s', (_name, search) => {
    expect(parseViewState(search).range).toEqual({ name: '24h' });
  });

  it('falls back to the default refresh for an unknown value', () => {
    expect(parseViewState('?refresh=1s').refresh).toBe('1m');
  });

  it('drops filter values the API would reject', () => {
    const state = parseViewState(`?tenant=${'a'.repeat(257)}&model=bad%00value&node=ok`);
    expect(state.filters).toEqual({ tenant: '', model: '', node: 'ok' });
    // C1 control characters too (U+0085 NEXT LINE), as the API refuses them.
    expect(parseViewState('?tenant=a%C2%85b&model=%C2%9F').filters).toEqual({ tenant: '', model: '', node: '' });
    expect(parseViewState(`?tenant=${'a'.repeat(256)}`).filters.tenant).toHaveLength(256);
  });

  it('normalises custom bounds with offsets and fractions to UTC seconds', () => {
    const state = parseViewState('?range=custom&from=2026-12-06T12:00:00.500%2B02:00&to=2026-12-07T10:00Z');
    expect(state.range).toEqual({ name: 'custom', from: '2026-12-06T10:00:00Z', to: '2026-12-07T10:00:00Z' });
  });
});

describe('serializeViewState', () => {
  it('leaves defaults out', () => {
    expect(serializeViewState(DEFAULT_VIEW)).toBe('');
  });

  it('writes non-default values in a stable order', () => {
    const state = view({ range: { name: '7d' }, filters: { tenant: 'a&b', model: '', node: 'n' }, refresh: 'off' });
    expect(serializeViewState(state)).toBe('?range=7d&tenant=a%26b&node=n&refresh=off');
  });

  it('round-trips through parseViewState', () => {
    const state = view({
      range: { name: 'custom', from: '2026-12-01T00:00:00Z', to: '2026-12-02T06:30:00Z' },
      filters: { tenant: 'ü tenant', model: 'org/model:v1', node: 'node 7' },
      refresh: '30s',
    });
    expect(parseViewState(serializeViewState(state))).toEqual(state);
  });
});

describe('normalizeRfc3339', () => {
  it('rejects dates without a zone, which would be read in local time', () => {
    expect(normalizeRfc3339('2026-12-06T10:00:00')).toBeUndefined();
  });
});
