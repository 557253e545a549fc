import { containerEndMs, containerStartMs, containerStarts, slotIndex } from './rollup-documents';
import {
  applySlotChange,
  decodeSlots,
  emptySlot,
  encodeSlots,
  GPU_SLOT_SCHEMA,
  type RollupSlot,
  type RollupSlots,
  SlotEncodingError,
  TOKEN_SLOT_SCHEMA,
} from './rollup-slots';

describe('rollup slot packing', () => {
  it('round-trips every field exactly, keeps absent fields absent and histograms sparse', () => {
    const slots: RollupSlots = new Map<number, RollupSlot>([
      [
        59,
        {
          values: {
            requests: 3,
            errors: 0,
            inputTokens: 2 ** 53 - 1,
            outputTokens: 1_536,
            cachedInputTokens: 0,
            ttftCount: 0,
            durationMsSum: 0.1 + 0.2,
            durationMsMin: 1e-9,
            durationMsMax: 86_400_000,
          },
          histograms: { durationH: { b0: 1, b7: 2, b241: 5 } },
        },
      ],
      [
        0,
        {
          values: { requests: 1, ttftCount: 1, ttftMsSum: 12.5, ttftMsMin: 12.5, ttftMsMax: 12.5 },
          histograms: { ttftH: { b90: 1 } },
        },
      ],
    ]);
    const decoded = decodeSlots(TOKEN_SLOT_SCHEMA, encodeSlots(TOKEN_SLOT_SCHEMA, slots));
    expect([...decoded.keys()]).toEqual([0, 59]);
    expect(decoded.get(59)).toEqual(slots.get(59));
    expect(decoded.get(0)).toEqual(slots.get(0));
    expect(decoded.get(59)?.values.ttftMsSum).toBeUndefined();
  });

  it('refuses a counter it cannot store exactly instead of wrapping it', () => {
    for (const bad of [2 ** 53, -1, 1.5]) {
      const slots: RollupSlots = new Map([[0, { values: { samples: bad }, histograms: {} }]]);
      expect(() => encodeSlots(GPU_SLOT_SCHEMA, slots)).toThrow(SlotEncodingError);
    }
  });

  it('rejects bytes of another format or cut short', () => {
    const bytes = encodeSlots(
      GPU_SLOT_SCHEMA,
      new Map([[3, { values: { samples: 4, powerWSum: 812.25 }, histograms: {} }]]),
    );
    expect(() => decodeSlots(GPU_SLOT_SCHEMA, bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
    expect(() => decodeSlots(GPU_SLOT_SCHEMA, Buffer.from([2, 0]))).toThrow(/format version 2/);
    expect(decodeSlots(GPU_SLOT_SCHEMA, new Uint8Array()).size).toBe(0);
  });

  it('applies a change as sums, counts, minimum and maximum, histogram bucket by bucket', () => {
    const slot = emptySlot();
    applySlotChange(slot, {
      counts: { requests: 2, 'durationH.b5': 2 },
      sums: { durationMsSum: 3 },
      min: { durationMsMin: 1 },
      max: { durationMsMax: 2 },
    });
    applySlotChange(slot, {
      counts: { requests: 1, 'durationH.b5': 1, 'durationH.b9': 1 },
      sums: { durationMsSum: 4 },
      min: { durationMsMin: 4 },
      max: { durationMsMax: 4 },
    });
    expect(slot).toEqual({
      values: { requests: 3, durationMsSum: 7, durationMsMin: 1, durationMsMax: 4 },
      histograms: { durationH: { b5: 3, b9: 1 } },
    });
  });
});

describe('bucket document containers', () => {
  const t = Date.parse('2026-12-06T13:47:12.345Z'); // a Sunday

  it('puts minutes in hours, hours in ISO weeks (Monday 00:00 UTC) and days in UTC calendar months', () => {
    expect(new Date(containerStartMs('1m', t)).toISOString()).toBe('2026-12-06T13:00:00.000Z');
    expect(new Date(containerStartMs('1h', t)).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(containerStartMs('1d', t)).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(containerEndMs('1d', Date.parse('2026-02-01T00:00:00Z'))).toISOString()).toBe(
      '2026-03-01T00:00:00.000Z',
    );
    expect(new Date(containerEndMs('1h', containerStartMs('1h', t))).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(slotIndex('1m', Date.parse('2026-12-06T13:47:00Z'))).toBe(47);
    expect(slotIndex('1h', Date.parse('2026-12-06T13:00:00Z'))).toBe(6 * 24 + 13);
    expect(slotIndex('1d', Date.parse('2026-12-06T00:00:00Z'))).toBe(5);
  });

  it('lists the containers that overlap a range', () => {
    const from = Date.parse('2026-11-20T10:30:00Z');
    const to = Date.parse('2026-12-06T00:00:00Z');
    expect(containerStarts('1d', from, to).map((x) => new Date(x).toISOString())).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
    ]);
    expect(containerStarts('1h', from, to)).toHaveLength(3);
    expect(containerStarts('1m', from, from + 3_600_000)).toHaveLength(2);
    expect(containerStarts('1m', from, from)).toEqual([]);
  });
});
