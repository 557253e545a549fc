import fc from 'fast-check';

import { canonicalTime, formatDuration, parseRfc3339, timeWindowViolation } from './time';

describe('parseRfc3339', () => {
  it.each([
    ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T12:00:00.1Z', '2026-03-01T12:00:00.100Z'],
    ['2026-03-01T12:00:00.123999Z', '2026-03-01T12:00:00.123Z'],
    ['2026-03-01T14:30:00+02:30', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T00:00:00-23:59', '2026-03-01T23:59:00.000Z'],
    ['2026-12-31T23:59:59.999+00:00', '2026-12-31T23:59:59.999Z'],
    ['2026-03-01t12:00:00z', '2026-03-01T12:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    const parsed = parseRfc3339(text);
    expect(parsed).toEqual({ ok: true, epochMs: Date.parse(iso) });
  });

  it.each(['', '2026-03-01', '2026-03-01T12:00:00', 'not a date', '2026-03-01T12:00:00+01'])(
    '%p does not have the RFC 3339 shape',
    (text) => {
      expect(parseRfc3339(text)).toBeUndefined();
    },
  );

  it.each([
    ['2026-02-29T00:00:00Z', '2026-02 has 28 days, not 29'],
    ['2026-04-31T00:00:00Z', '2026-04 has 30 days, not 31'],
    ['2026-01-00T00:00:00Z', '2026-01 has 31 days, not 00'],
    ['2026-00-01T00:00:00Z', 'month 00 does not exist'],
    ['2026-03-01T25:00:00Z', 'hour 25 does not exist'],
    ['2026-03-01T12:61:00Z', 'minute 61 does not exist'],
    ['2026-06-30T23:59:60Z', 'second 60 is not supported'],
    ['2026-03-01T12:00:00-12:75', 'offset -12:75 does not exist'],
  ])('%s names no real instant: %s', (text, reason) => {
    expect(parseRfc3339(text)).toEqual({ ok: false, reason });
  });
});

describe('timeWindowViolation', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const week = 7 * 86_400_000;

  it('accepts both inclusive bounds', () => {
    expect(timeWindowViolation(now + 300_000, now, week)).toBeUndefined();
    expect(timeWindowViolation(now - week, now, week)).toBeUndefined();
  });

  it('says when a time is in the future, and by how much', () => {
    expect(timeWindowViolation(now + 2 * 3_600_000, now, week)).toBe(
      "is too far in the future: 2h ahead of the receiver's clock (at most 5m is accepted)",
    );
  });

  it('says when a time is older than the retention', () => {
    expect(timeWindowViolation(now - week - 90_000, now, week)).toBe(
      'is too old: 7d 1m ago, older than the raw retention of 7d',
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [61_000, '1m 1s'],
    [300_001, '5m'],
    [3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000, '3d 4h'],
    [7 * 86_400_000 + 90_000, '7d 1m'],
    [-61_000, '1m 1s'],
  ])('%p ms -> %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('parseRfc3339 agrees with Date on every instant of years 0000-9999', () => {
  it('for canonical UTC text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('0000-01-01T00:00:00Z'), max: Date.parse('9999-12-31T23:59:59.999Z') }),
        (epochMs) => {
          expect(parseRfc3339(new Date(epochMs).toISOString())).toEqual({ ok: true, epochMs });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('for leap days across centuries', () => {
    for (const year of [1600, 1904, 2000, 2024, 2400, 9996]) {
      const text = `${year}-02-29T00:00:00Z`;
      expect(parseRfc3339(text)).toEqual({ ok: true, epochMs: Date.parse(text) });
    }
    for (const year of [1700, 1900, 2100, 2023])
      expect(parseRfc3339(`${year}-02-29T00:00:00Z`)).toMatchObject({ ok: false });
  });
});

describe('canonicalTime', () => {
  it('returns canonical UTC text as it is and converts anything else', () => {
    const text = '2026-03-01T12:00:00.000Z';
    expect(canonicalTime(text, Date.parse(text))).toBe(text);
    expect(canonicalTime('2026-03-01T13:00:00+01:00', Date.parse(text))).toBe(text);
    expect(canonicalTime('2026-03-01t12:00:00.000z', Date.parse(text))).toBe(text);
  });
});
