import {
  datetimeLocalToRfc3339,
  filenameTime,
  formatRangeLabel,
  formatUtcMinute,
  resolveRange,
  rfc3339ToDatetimeLocal,
} from './range';

const NOW = Date.parse('2026-12-07T10:15:42.789Z');

describe('resolveRange', () => {
  it.each([
    ['1h', '2026-12-07T09:15:42Z'],
    ['24h', '2026-12-06T10:15:42Z'],
    ['7d', '2026-11-30T10:15:42Z'],
    ['30d', '2026-11-07T10:15:42Z'],
  ] as const)('ends a %s range now, in whole seconds', (name, from) => {
    expect(resolveRange({ name }, NOW)).toEqual({ from, to: '2026-12-07T10:15:42Z' });
  });

  it('keeps a custom range as it is', () => {
    const range = { name: 'custom', from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' } as const;
    expect(resolveRange(range, NOW)).toEqual({ from: range.from, to: range.to });
  });
});

describe('datetime-local inputs', () => {
  it('are read as UTC', () => {
    expect(datetimeLocalToRfc3339('2026-12-06T10:00')).toBe('2026-12-06T10:00:00Z');
    expect(datetimeLocalToRfc3339('2026-12-06T10:00:30')).toBe('2026-12-06T10:00:30Z');
  });

  it('reject what is not a date and time', () => {
    expect(datetimeLocalToRfc3339('')).toBeUndefined();
    expect(datetimeLocalToRfc3339('2026-12-06')).toBeUndefined();
    expect(datetimeLocalToRfc3339('2026-02-31T25:00')).toBeUndefined();
  });

  it('are filled from an RFC 3339 instant in UTC', () => {
    expect(rfc3339ToDatetimeLocal('2026-12-06T12:30:00+02:00')).toBe('2026-12-06T10:30');
  });
});

describe('labels', () => {
  it('show the API range in UTC minutes', () => {
    expect(formatRangeLabel({ from: '2026-12-06T10:00:00.000Z', to: '2026-12-07T10:00:00.000Z' })).toBe(
      '2026-12-06 10:00 → 2026-12-07 10:00 UTC',
    );
  });

  it('leave an unparsable time as it came', () => {
    expect(formatUtcMinute('soon')).toBe('soon');
  });

  it('name files without colons', () => {
    expect(filenameTime('2026-12-06T10:00:00.000Z')).toBe('20261206T100000Z');
  });
});
