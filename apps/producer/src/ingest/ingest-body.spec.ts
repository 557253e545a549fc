import { domainErrorOf } from '@tokenmeter/telemetry/testing';
import { Readable } from 'node:stream';
import { domainErrorOfAsync } from '@tokenmeter/telemetry/testing';
import { parseIngestBody, readNdjsonStream } from './ingest-body';

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
    expect(domainErrorOf(() => parseIngestBody('application/json', '{', 10)).code).toBe('ingest.malformed-body');
    expect(domainErrorOf(() => parseIngestBody('application/json', '[]', 10)).code).toBe('ingest.no-events');
    expect(domainErrorOf(() => parseIngestBody('application/json', '42', 10)).code).toBe('ingest.malformed-body');
    expect(domainErrorOf(() => parseIngestBody('application/x-ndjson', '\n\n', 10)).code).toBe('ingest.no-events');
  });

  it('answers 413 past the per-request event limit', () => {
    const problem = domainErrorOf(() => parseIngestBody('application/json', '[{},{},{}]', 2));
    expect(problem.code).toBe('ingest.too-many-events');
    expect(problem.message).toContain('at most 2 events');
  });
});

describe('readNdjsonStream', () => {
  const limits = { maxBytes: 1_000, maxEvents: 3 };
  const chunks = (...parts: (string | Buffer)[]) => Readable.from(parts);

  it('parses lines split across chunks, including a multi-byte character cut in two', async () => {
    const euro = Buffer.from('{"m":"€"}\n');
    const parsed = await readNdjsonStream(
      chunks('{"a":', '1}\r\n\n{"a"', ':2}\n', euro.subarray(0, 8), euro.subarray(8), '{"a":3}'),
      { ...limits, maxEvents: 4 },
    );
    expect(parsed.items).toEqual([
      { ok: true, value: { a: 1 } },
      { ok: true, value: { a: 2 } },
      { ok: true, value: { m: '€' } },
      { ok: true, value: { a: 3 } },
    ]);
  });

  it('rejects a bad line by its number and keeps the others', async () => {
    const parsed = await readNdjsonStream(chunks('{"a":1}\n{oops\n{"a":2}\n'), limits);
    expect(parsed.items[1]).toEqual({ ok: false, message: 'line 2 is not valid JSON' });
    expect(parsed.items).toHaveLength(3);
  });

  it('answers 413 as soon as the byte or event limit is crossed', async () => {
    const tooMany = await domainErrorOfAsync(readNdjsonStream(chunks('{}\n{}\n{}\n{}\n'), limits));
    expect(tooMany.code).toBe('ingest.too-many-events');
    expect(tooMany.message).toContain('at most 3 events');
    const tooBig = await domainErrorOfAsync(readNdjsonStream(chunks('x'.repeat(600), 'y'.repeat(600)), limits));
    expect(tooBig.code).toBe('ingest.body-too-large');
    expect(tooBig.message).toContain('1000 bytes');
  });

  it('answers 400 for a body without events', async () => {
    expect((await domainErrorOfAsync(readNdjsonStream(chunks('\n \n'), limits))).code).toBe('ingest.no-events');
  });
});
