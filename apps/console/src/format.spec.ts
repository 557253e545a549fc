import { formatCompact, formatDecimal, formatInteger, formatPercent } from './format';

describe('formatInteger', () => {
  it('groups thousands and never abbreviates', () => {
    expect(formatInteger(12345)).toBe('12,345');
    expect(formatInteger(9_007_199_254_740_991)).toBe('9,007,199,254,740,991');
    expect(formatInteger(0)).toBe('0');
  });
});

describe('formatDecimal', () => {
  it('rounds to the given digits without trailing zeros', () => {
    expect(formatDecimal(1234.5678, 2)).toBe('1,234.57');
    expect(formatDecimal(2, 3)).toBe('2');
  });

  it('shows a dash for unknown values', () => {
    expect(formatDecimal(null, 1)).toBe('—');
    expect(formatDecimal(Number.NaN, 1)).toBe('—');
    expect(formatDecimal(Number.POSITIVE_INFINITY, 1)).toBe('—');
  });
});

describe('formatCompact', () => {
  it('uses short units for axes', () => {
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(1500)).toBe('1.5K');
    expect(formatCompact(2_340_000)).toBe('2.3M');
  });
});

describe('formatPercent', () => {
  it('keeps up to two decimals', () => {
    expect(formatPercent(81.256)).toBe('81.26 %');
    expect(formatPercent(100)).toBe('100 %');
  });
});
