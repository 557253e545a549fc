import { nextSortOrder, sortRows } from './sort';

type Row = { name: string; count: number };
const row = (name: string, count: number): Row => ({ name, count });

describe('sortRows', () => {
  const rows = [row('b', 10), row('a', 2), row('c', 10), row('d', 100)];

  it('sorts numbers numerically, not as text', () => {
    const sorted = sortRows(rows, { column: 'count', direction: 'ascending' }, ['name']);
    expect(sorted.map((r) => r.count)).toEqual([2, 10, 10, 100]);
  });

  it('breaks ties with the tie-break columns ascending, whatever the direction', () => {
    const sorted = sortRows(rows, { column: 'count', direction: 'descending' }, ['name']);
    expect(sorted.map((r) => r.name)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('sorts text and leaves its input alone', () => {
    const sorted = sortRows(rows, { column: 'name', direction: 'descending' }, []);
    expect(sorted.map((r) => r.name)).toEqual(['d', 'c', 'b', 'a']);
    expect(rows.map((r) => r.name)).toEqual(['b', 'a', 'c', 'd']);
  });
});

describe('nextSortOrder', () => {
  it('flips the sorted column', () => {
    expect(nextSortOrder({ column: 'count', direction: 'descending' }, 'count')).toEqual({
      column: 'count',
      direction: 'ascending',
    });
    expect(nextSortOrder({ column: 'count', direction: 'ascending' }, 'count')).toEqual({
      column: 'count',
      direction: 'descending',
    });
  });

  it('starts another column ascending', () => {
    expect(nextSortOrder({ column: 'count', direction: 'descending' }, 'name')).toEqual({
      column: 'name',
      direction: 'ascending',
    });
  });
});
