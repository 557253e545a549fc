import { validateGpuSample } from './gpu-sample';
import { buildGpuSample, expectInvalid, expectValid } from './testing';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS = { nowMs: NOW_MS };

function sample(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...buildGpuSample({}, { nowMs: NOW_MS }), ...overrides };
}

function without(input: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = input;
  return rest;
}

function pathsOf(input: unknown): string[] {
  return expectInvalid(validateGpuSample(input, OPTS)).map((error) => error.path);
}

describe('validateGpuSample', () => {
  it('accepts a complete sample and returns it unchanged when already canonical', () => {
    const input = buildGpuSample({ tenant: 'acme' }, { nowMs: NOW_MS });
    expect(expectValid(validateGpuSample(input, OPTS))).toEqual(input);
  });

  it('accepts a minimal sample and gives it no tenant (no default on gpu.v1)', () => {
    const minimal = {
      eventId: 'dcgm:node-1:0:1772366340',
      time: '2026-03-01T11:59:00.000Z',
      node: 'node-1',
      gpuIndex: 0,
      utilizationPct: 0,
      memoryUsedMiB: 0,
      memoryTotalMiB: 0,
      powerW: 0,
      temperatureC: -40,
    };
    const value = expectValid(validateGpuSample(minimal, OPTS));
    expect(value).toEqual(minimal);
    expect(value).not.toHaveProperty('tenant');
  });

  // SPEC §3 physical bounds: [field, accepted values, rejected values].
  it.each<[string, number[], unknown[]]>([
    ['utilizationPct', [0, 42.5, 100], [-0.1, 100.01, '50']],
    ['memoryUsedMiB', [0, 1024.5], [-1, '1024']],
    ['memoryTotalMiB', [81_559, 10_000_000], [-1, 10_000_000.5]],
    ['powerW', [0, 700.25, 10_000], [-1, 10_000.1]],
    ['temperatureC', [-40, 0, 150], [-40.5, 150.5, '60']],
    ['gpuIndex', [0, 7, 1023], [-1, 1024, 1.5, '0']],
    ['energyJ', [0, 1e15, Number.MAX_VALUE], [-0.001, Infinity, Number.NaN]],
    ['smClockMHz', [0, 1980, 100_000], [-1, 100_001]],
  ])('%s: accepts %p, rejects %p', (field, accepted, rejected) => {
    for (const value of accepted) {
      // memoryUsedMiB must stay <= memoryTotalMiB, so give it room when testing the upper bounds.
      const room = field === 'memoryUsedMiB' || field === 'memoryTotalMiB' ? { memoryUsedMiB: 0 } : {};
      expect(validateGpuSample(sample({ ...room, [field]: value }), OPTS).ok).toBe(true);
    }
    for (const value of rejected) {
      expect(pathsOf(sample({ [field]: value }))).toEqual([`$.${field}`]);
    }
  });

  it('rejects the upper bound + 1 on memoryUsedMiB at the field itself, not as a cross-field error', () => {
    expect(pathsOf(sample({ memoryUsedMiB: 10_000_001, memoryTotalMiB: 10_000_000 }))).toEqual(['$.memoryUsedMiB']);
  });

  describe('memoryTotalMiB >= memoryUsedMiB', () => {
    it('accepts used equal to total', () => {
      expect(validateGpuSample(sample({ memoryUsedMiB: 81_559, memoryTotalMiB: 81_559 }), OPTS).ok).toBe(true);
    });

    it('rejects used above total with the error on $.memoryUsedMiB', () => {
      expect(expectInvalid(validateGpuSample(sample({ memoryUsedMiB: 81_560, memoryTotalMiB: 81_559 }), OPTS))).toEqual(
        [{ path: '$.memoryUsedMiB', message: 'must be <= memoryTotalMiB (81560 > 81559)' }],
      );
    });

    it('does not compare when the total is itself invalid', () => {
      expect(pathsOf(sample({ memoryUsedMiB: 5, memoryTotalMiB: -1 }))).toEqual(['$.memoryTotalMiB']);
    });
  });

  it.each(['eventId', 'time', 'node', 'gpuIndex', 'memoryUsedMiB', 'memoryTotalMiB', 'powerW', 'temperatureC'])(
    'requires %s',
    (field) => {
      expect(expectInvalid(validateGpuSample(without(sample(), field), OPTS))).toEqual([
        { path: `$.${field}`, message: 'is required' },
      ]);
    },
  );

  it.each(['gpuUuid', 'gpuModel', 'utilizationPct', 'energyJ', 'smClockMHz', 'tenant'])(
    'treats %s as optional',
    (field) => {
      expect(expectValid(validateGpuSample(without(sample({ tenant: 'acme' }), field), OPTS))).not.toHaveProperty(
        field,
      );
    },
  );

  it.each(['gpuUuid', 'gpuModel', 'tenant', 'node'])('applies the string rules to %s', (field) => {
    expect(pathsOf(sample({ [field]: '' }))).toEqual([`$.${field}`]);
    expect(pathsOf(sample({ [field]: 'x'.repeat(257) }))).toEqual([`$.${field}`]);
    expect(pathsOf(sample({ [field]: 'a\u0085b' }))).toEqual([`$.${field}`]);
  });
});
