import { problemOf } from '@tokenmeter/telemetry/testing';
import { parseIngestBody } from './ingest-body';

describe('parseIngestBody', () => {
  it('takes one object, an array, or NDJSON', () => {
    expect(parseIngestBody('application/json', '{"a":1}', 10)).toEqual([{ ok: true, value: { a: 1 } }]);
    expect(parseIngestBody('application/json; charset=utf-8', '[{"a":1},{"a":2}]', 10)).toHaveLength(2);
    expect(parseIngestBody('application/x-ndjson', '{"a":1}\n\n{"a":2}\r\n', 10)).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: true, value: { a: 2 } },
    ]);
  });

  it('rejects one bad NDJSON line, not the request', () => {
    expect(parseIngestBody('application/x-ndjson', '{"a":1}\nnope\n', 10)).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: false, message: 'line 2 is not valid JSON' },
    ]);
  });

  it('answers 400 for malformed or empty JSON and scalars', () => {
    expect(problemOf(() => parseIngestBody('application/json', '{', 10)).httpStatus).toBe(400);
    expect(problemOf(() => parseIngestBody('application/json', '[]', 10)).httpStatus).toBe(400);
    expect(problemOf(() => parseIngestBody('application/json', '42', 10)).httpStatus).toBe(400);
    expect(problemOf(() => parseIngestBody('application/x-ndjson', '\n\n', 10)).httpStatus).toBe(400);
  });

  it('answers 413 past the per-request event limit', () => {
    const problem = problemOf(() => parseIngestBody('application/json', '[{},{},{}]', 2));
    expect(problem.httpStatus).toBe(413);
    expect(problem.detail).toContain('at most 2 events');
  });
});
