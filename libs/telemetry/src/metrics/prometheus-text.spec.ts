import fc from 'fast-check';

import { parsePrometheusText, parsePromFloat } from './prometheus-text';

describe('parsePrometheusText', () => {
  it('reads samples, HELP and TYPE, and skips other comments and blank lines', () => {
    const exposition = parsePrometheusText(
      [
        '# HELP http_requests_total The total number of HTTP requests.',
        '# TYPE http_requests_total counter',
        '# a comment that is neither HELP nor TYPE',
        '',
        'http_requests_total{method="post",code="200"} 1027 1395066363000',
        '   ',
        'up 1',
      ].join('\n'),
    );
    expect(exposition.errors).toEqual([]);
    expect(exposition.samples).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '200' },
        value: 1027,
        timestampMs: 1395066363000,
      },
      { name: 'up', labels: {}, value: 1 },
    ]);
    expect(exposition.metadata.get('http_requests_total')).toEqual({
      help: 'The total number of HTTP requests.',
      type: 'counter',
    });
  });

  it('unescapes \\\\ and \\n in HELP text and keeps other backslashes', () => {
    const exposition = parsePrometheusText('# HELP m A \\\\ path\\nsecond line \\t kept\n');
    expect(exposition.metadata.get('m')?.help).toBe('A \\ path\nsecond line \\t kept');
  });

  it('unescapes label values and allows commas, braces, blanks and a trailing comma', () => {
    const { samples, errors } = parsePrometheusText(
      'm{a="say \\"hi\\"",b="back\\\\slash",c="two\\nlines",d="x,y{z}=1", e = "spaced" ,} 1\n' +
        'm{f="\\t stays"} 2\n' +
        'm{} 3\n',
    );
    expect(errors).toEqual([]);
    expect(samples.map((sample) => sample.labels)).toEqual([
      { a: 'say "hi"', b: 'back\\slash', c: 'two\nlines', d: 'x,y{z}=1', e: 'spaced' },
      { f: '\\t stays' },
      {},
    ]);
  });

  it('keeps a label named __proto__ as an ordinary label', () => {
    const [sample] = parsePrometheusText('m{__proto__="x"} 1').samples;
    expect(Object.keys(sample?.labels ?? {})).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(sample?.labels)).toBe(Object.prototype);
  });

  it('reads metric names with colons, special values, exponents and integers beyond 2^53', () => {
    const { samples, errors } = parsePrometheusText(
      [
        'vllm:prompt_tokens_total{model_name="m"} 1.8234e+06',
        'a NaN',
        'b +Inf',
        'c -Inf',
        'd 9223372036854775794',
        'e -1.5E-3',
        'f .5',
        'g 7.',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(samples.map((sample) => [sample.name, sample.value])).toEqual([
      ['vllm:prompt_tokens_total', 1_823_400],
      ['a', Number.NaN],
      ['b', Number.POSITIVE_INFINITY],
      ['c', Number.NEGATIVE_INFINITY],
      ['d', Number('9223372036854775794')],
      ['e', -0.0015],
      ['f', 0.5],
      ['g', 7],
    ]);
    expect(samples[4]?.value).toBeGreaterThanOrEqual(Number('9223372036854775792'));
  });

  it('handles CRLF line endings and a missing final newline', () => {
    const { samples, metadata, errors } = parsePrometheusText('# HELP m Help.\r\n# TYPE m gauge\r\nm{a="b"} 2\r\nn 3');
    expect(errors).toEqual([]);
    expect(metadata.get('m')).toEqual({ help: 'Help.', type: 'gauge' });
    expect(samples.map((sample) => sample.value)).toEqual([2, 3]);
  });

  it('turns each malformed line into an error with its line number and keeps the rest', () => {
    const lines = [
      'ok 1',
      'm{a="unterminated} 1',
      'm{a="b" c="d"} 1',
      'm{a="b",a="c"} 1',
      'm{1a="b"} 1',
      'm{a=b} 1',
      'm',
      'm 12abc',
      'm 1 2 3',
      'm 1 1.5',
      'bad-name 1',
      '{a="b"} 1',
      '# TYPE m nonsense',
      '# HELP 9m help',
      'm{a="b\\',
      'also_ok{a="b"} 2',
    ];
    const { samples, errors } = parsePrometheusText(lines.join('\n'));
    expect(samples.map((sample) => sample.name)).toEqual(['ok', 'also_ok']);
    expect(errors.map((error) => error.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(errors[0]?.message).toBe('unterminated value for label a');
    expect(errors[2]?.message).toBe('duplicate label a');
    expect(errors[5]?.message).toBe('missing sample value');
  });

  it('reports a second HELP or TYPE line for one metric and keeps the first', () => {
    const { metadata, errors } = parsePrometheusText(
      '# HELP m One.\n# HELP m Two.\n# TYPE m gauge\n# TYPE m counter\n',
    );
    expect(metadata.get('m')).toEqual({ help: 'One.', type: 'gauge' });
    expect(errors).toEqual([
      { line: 2, message: 'second HELP line for m' },
      { line: 4, message: 'second TYPE line for m' },
    ]);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const exposition = parsePrometheusText(text);
        expect(Array.isArray(exposition.samples)).toBe(true);
      }),
    );
    const alphabet = fc.constantFrom('m', '{', '}', '"', '\\', ',', '=', ' ', '\n', '#', '1', 'e', 'N', 'a');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }), (chars) => {
        parsePrometheusText(chars.join(''));
      }),
    );
  });

  it('parses a 1 MB exposition and pathological lines without error or catastrophic backtracking', () => {
    const line =
      'DCGM_FI_DEV_FB_USED{gpu="3",UUID="GPU-5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a65",modelName="NVIDIA \\"H100\\"",Hostname="gpu-node-07"} 61234\n';
    const big = line.repeat(Math.ceil(1_000_000 / line.length));
    const hostile = [
      `m{a="${'\\"'.repeat(100_000)}`,
      `m ${'1'.repeat(200_000)}x`,
      `m{${'a="b",'.repeat(30_000)}`,
      '# HELP m ' + '\\'.repeat(200_000),
    ].join('\n');
    // Correctness on large and hostile input only; its speed is measured outside the tests
    // (no timing thresholds in tests).
    const exposition = parsePrometheusText(big);
    const hostileResult = parsePrometheusText(hostile);
    expect(exposition.samples).toHaveLength(Math.ceil(1_000_000 / line.length));
    expect(hostileResult.errors).toHaveLength(3);
  });
});

describe('parsePromFloat', () => {
  it.each([
    ['1', 1],
    ['-0.25', -0.25],
    ['1e3', 1000],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
    ['nan', Number.NaN],
  ])('reads %s', (token, expected) => {
    expect(parsePromFloat(token)).toBe(expected);
  });

  it.each(['', '0x10', '1,5', 'one', '1e', '--1', '.'])('rejects %j', (token) => {
    expect(parsePromFloat(token)).toBeUndefined();
  });
});
