import { budgetLevel, budgetSortKey } from './budget';

describe('budgetLevel', () => {
  it.each([
    [0, 'ok'],
    [79.99, 'ok'],
    [80, 'warning'],
    [99.99, 'warning'],
    [100, 'over'],
    [250, 'over'],
  ] as const)('%d %% is %s', (usedPct, level) => {
    expect(budgetLevel(usedPct)).toBe(level);
  });
});

describe('a zero budget (usedPct null)', () => {
  it('is ok while nothing is spent and over once anything is', () => {
    expect(budgetLevel(null, '0.000000')).toBe('ok');
    expect(budgetLevel(null, '0.000001')).toBe('over');
  });

  it('sorts above every other budget when spent, below them when not', () => {
    expect(budgetSortKey(null, '3.000000')).toBeGreaterThan(budgetSortKey(250, '1.000000'));
    expect(budgetSortKey(null, '0.000000')).toBeLessThan(budgetSortKey(0, '0.000000'));
  });
});
