import { compareDecimal, sumDecimals } from './decimal';

describe('compareDecimal', () => {
  it('compares by value, not by text', () => {
    expect(compareDecimal('10.000000', '9.999999')).toBe(1);
    expect(compareDecimal('0.5', '0.500000')).toBe(0);
    expect(compareDecimal('1.000001', '1.000002')).toBe(-1);
  });

  it('puts malformed values first', () => {
    expect(compareDecimal('n/a', '0.000000')).toBe(-1);
    expect(compareDecimal('0.000000', 'n/a')).toBe(1);
  });
});

describe('sumDecimals', () => {
  it('adds exactly where binary floating point would not', () => {
    expect(sumDecimals(['0.100000', '0.200000'])).toBe('0.300000');
    expect(sumDecimals(['123456789012.999999', '0.000001'])).toBe('123456789013.000000');
  });

  it('keeps leading zeros of small sums', () => {
    expect(sumDecimals(['0.000001', '0.000002'])).toBe('0.000003');
  });

  it('handles integers and an empty list', () => {
    expect(sumDecimals(['2', '3'])).toBe('5');
    expect(sumDecimals([])).toBe('0');
  });

  it('refuses malformed terms', () => {
    expect(sumDecimals(['1.0', '-2'])).toBeUndefined();
  });
});
