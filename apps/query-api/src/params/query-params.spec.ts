import { problemOf } from '@tokenmeter/telemetry/testing';
import { decodeCursor, encodeCursor } from '../events/cursor';
import { parseParams, resolveRange } from './query-params';

const SPECS = {
  from: { kind: 'time' },
  to: { kind: 'time' },
  model: { kind: 'string' },
  limit: { kind: 'int', min: 1, max: 1_000 },
  cursor: { kind: 'cursor' },
} as const;

describe('parseParams', () => {
  it('parses declared parameters', () => {
    expect(parseParams({ from: '2026-11-25T12:00:00+01:00', model: 'llama', limit: '10' }, SPECS)).toEqual({
      from: Date.parse('2026-11-25T11:00:00Z'),
      model: 'llama',
      limit: 10,
    });
  });

  it('names every bad parameter in one 400', () => {
    const problem = problemOf(() =>
      parseParams({ 'model[$ne]': 'x', from: 'yesterday', limit: '0', model: ['a', 'b'], cursor: '$$$' }, SPECS),
    );
    expect(problem.httpStatus).toBe(400);
    expect(problem.extras.errors?.map((e) => e.name)).toEqual(['model[$ne]', 'from', 'limit', 'model', 'cursor']);
  });

  it('parses enums and comma-separated sets, and names a bad value', () => {
    const specs = {
      step: { kind: 'enum', values: ['1m', '1h'] },
      groupBy: { kind: 'list', values: ['model', 'node'] },
    } as const;
    expect(parseParams({ step: '1h', groupBy: 'node,model' }, specs)).toEqual({
      step: '1h',
      groupBy: ['node', 'model'],
    });
    for (const bad of [
      { step: '2m' },
      { groupBy: 'model,model' },
      { groupBy: 'tenant' },
      { groupBy: '' },
      { step: '$ne' },
    ]) {
      expect(problemOf(() => parseParams(bad, specs)).extras.errors?.[0]?.name).toBe(Object.keys(bad)[0]);
    }
  });

  it('treats Object.prototype names as unknown parameters', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const query = Object.defineProperty({}, name, { value: '1', enumerable: true });
      expect(problemOf(() => parseParams(query, SPECS)).extras.errors?.[0]?.name).toBe(name);
    }
  });

  it('rejects control characters and over-long strings', () => {
    expect(problemOf(() => parseParams({ model: 'a\u0000b' }, SPECS)).httpStatus).toBe(400);
    expect(problemOf(() => parseParams({ model: 'x'.repeat(257) }, SPECS)).httpStatus).toBe(400);
  });
});

describe('resolveRange', () => {
  it('defaults to the range before now and refuses inverted ranges', () => {
    expect(resolveRange({}, 10_000, 1_000)).toEqual({ fromMs: 9_000, toMs: 10_000 });
    expect(problemOf(() => resolveRange({ from: 5, to: 5 }, 10, 1)).extras.errors?.[0]?.name).toBe('from');
  });
});

describe('cursors', () => {
  it('round-trip and reject anything tampered', () => {
    const cursor = encodeCursor({ timeMs: 1_795_600_000_000, id: 'evt-1' });
    expect(decodeCursor(cursor)).toEqual({ timeMs: 1_795_600_000_000, id: 'evt-1' });
    for (const bad of [
      'eyJub3QiOiJhIGN1cnNvciJ9',
      Buffer.from('[1,"$gt"]').toString('base64url'),
      Buffer.from('[1.5,"a"]').toString('base64url'),
      'AAAA',
    ]) {
      expect(problemOf(() => decodeCursor(bad)).httpStatus).toBe(400);
    }
  });
});
