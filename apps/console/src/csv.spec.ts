import { csvField, toCsv } from './csv';

describe('csvField', () => {
  it('leaves plain values bare', () => {
    expect(csvField('acme')).toBe('acme');
    expect(csvField(12345)).toBe('12345');
  });

  it.each([
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
  ])('quotes %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('toCsv', () => {
  it('writes a header and CRLF-terminated rows', () => {
    expect(
      toCsv(
        ['tenant', 'requests'],
        [
          ['a,b', 1],
          ['c', 2],
        ],
      ),
    ).toBe('tenant,requests\r\n"a,b",1\r\nc,2\r\n');
  });
});
