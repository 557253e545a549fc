import {
  accumulateGpuRollups,
  containerStartMs,
  encodeSlots,
  type Resolution,
  type RollupDelta,
  type RollupSlots,
  SLOT_SCHEMAS,
} from '@tokenmeter/storage';
import { buildGpuSample } from '@tokenmeter/contracts/testing/factories';
import { committedOffsetsOf, type GroupCommits } from './committed-offsets';
import type { StoredRawDocument } from './raw-range.reader';
import {
  alignToDays,
  bucketIdsOf,
  DAY_MS,
  daysOf,
  mergeWatermarks,
  rebuildSlots,
  UncommittedBatchError,
  uncommittedEvent,
  uncommittedWatermark,
} from './rollup-rebuild';

const DAY = Date.parse('2026-12-02T00:00:00Z'); // a Wednesday

describe('alignToDays', () => {
  it('widens the range outward to whole UTC days', () => {
    const aligned = alignToDays({ fromMs: DAY + 3_600_000 * 5.5, toMs: DAY + DAY_MS + 1 });
    expect(aligned).toEqual({ fromMs: DAY, toMs: DAY + 2 * DAY_MS });
    expect(daysOf(aligned)).toEqual([DAY, DAY + DAY_MS]);
  });

  it('keeps a range that is already whole days', () => {
    expect(alignToDays({ fromMs: DAY, toMs: DAY + DAY_MS })).toEqual({ fromMs: DAY, toMs: DAY + DAY_MS });
  });
});

/** The slot changes of samples at these times in the bucket document of `resolution` holding `timeMs`. */
function changesOf(resolution: Resolution, timeMs: number, times: number[]): RollupDelta[] {
  const deltas = [
    ...accumulateGpuRollups(
      times.map((t, i) =>
        buildGpuSample({ eventId: `s${i}`, node: 'n1', gpuIndex: 0, time: new Date(t).toISOString(), powerW: 100 + i }),
      ),
    ).values(),
  ].filter(
    (d) =>
      d.identity.resolution === resolution &&
      (d.identity.start as Date).getTime() === containerStartMs(resolution, timeMs),
  );
  return deltas;
}

describe('rebuildSlots', () => {
  const day = { fromMs: DAY, toMs: DAY + DAY_MS };
  const monthMs = containerStartMs('1d', DAY);

  it('replaces the slots inside the range and keeps every other slot exactly as stored', () => {
    // Stored: three days of the month, the middle one (the rebuilt day) with a wrong count.
    const stored = accumulateGpuRollups(
      [DAY - DAY_MS, DAY, DAY, DAY + DAY_MS].map((t, i) =>
        buildGpuSample({
          eventId: `old${i}`,
          node: 'n1',
          gpuIndex: 0,
          time: new Date(t + 60_000).toISOString(),
          powerW: 7,
        }),
      ),
    );
    const storedSlots: RollupSlots = new Map();
    for (const d of stored.values()) {
      if (d.identity.resolution !== '1d') continue;
      const slot = { values: {}, histograms: {} };
      storedSlots.set(d.slot, slot);
      // applySlotChange via rebuildSlots of an empty range would be circular: build by hand.
      Object.assign(slot.values, d.counts, d.sums, d.max, d.min);
    }
    const storedBytes = encodeSlots(SLOT_SCHEMAS.gpu, storedSlots);
    const deltas = changesOf('1d', DAY, [DAY + 5_000]);
    const rebuilt = rebuildSlots('gpu', storedBytes, { resolution: '1d', containerMs: monthMs }, day, deltas);
    const dayIndex = (DAY - monthMs) / DAY_MS;
    expect([...rebuilt.keys()].sort((a, b) => a - b)).toEqual([dayIndex - 1, dayIndex, dayIndex + 1]);
    expect(rebuilt.get(dayIndex)?.values.samples).toBe(1);
    expect(rebuilt.get(dayIndex)?.values.powerWSum).toBe(100);
    expect(rebuilt.get(dayIndex - 1)).toEqual(storedSlots.get(dayIndex - 1));
    expect(rebuilt.get(dayIndex + 1)).toEqual(storedSlots.get(dayIndex + 1));
  });

  it('removes a slot inside the range that has no raw events', () => {
    const hourMs = DAY + 3_600_000;
    const deltas = changesOf('1m', hourMs, [hourMs + 60_000, hourMs + 120_000]);
    const stored = rebuildSlots('gpu', new Uint8Array(), { resolution: '1m', containerMs: hourMs }, day, deltas);
    expect([...stored.keys()]).toEqual([1, 2]);
    const emptied = rebuildSlots(
      'gpu',
      encodeSlots(SLOT_SCHEMAS.gpu, stored),
      { resolution: '1m', containerMs: hourMs },
      day,
      deltas.filter((d) => d.slot === 2),
    );
    expect([...emptied.keys()]).toEqual([2]);
  });

  it('recomputes a week document only in the hours of the range', () => {
    const weekMs = containerStartMs('1h', DAY);
    const deltas = changesOf('1h', DAY, [DAY - 3_600_000, DAY + 3_600_000]);
    const stored = rebuildSlots(
      'gpu',
      new Uint8Array(),
      { resolution: '1h', containerMs: weekMs },
      { fromMs: weekMs, toMs: weekMs + 7 * DAY_MS },
      deltas,
    );
    const rebuilt = rebuildSlots(
      'gpu',
      encodeSlots(SLOT_SCHEMAS.gpu, stored),
      { resolution: '1h', containerMs: weekMs },
      day,
      [],
    );
    expect([...rebuilt.keys()]).toEqual([(DAY - 3_600_000 - weekMs) / 3_600_000]);
  });

  it('refuses changes outside the range (a caller bug, never silently dropped)', () => {
    const deltas = changesOf('1d', DAY + DAY_MS, [DAY + DAY_MS]);
    expect(() =>
      rebuildSlots('gpu', new Uint8Array(), { resolution: '1d', containerMs: monthMs }, day, deltas),
    ).toThrow(/outside its range/);
  });
});

describe('mergeWatermarks', () => {
  it('takes per partition the larger of the stored watermark and the included offsets, keeping the others', () => {
    expect(
      mergeWatermarks(
        { p0: 50, p1: 900, p3: 7 },
        new Map([
          [0, 120],
          [1, 400],
          [2, 5],
        ]),
      ),
    ).toEqual({ p0: 120, p1: 900, p2: 5, p3: 7 });
  });

  it('starts from nothing for a new document and keeps a document without included events', () => {
    expect(mergeWatermarks(undefined, new Map([[4, 9]]))).toEqual({ p4: 9 });
    expect(mergeWatermarks({ p0: 3 }, undefined)).toEqual({ p0: 3 });
  });
});

describe('bucketIdsOf', () => {
  const series = {
    _id: JSON.stringify(['g', 'n1', 0]),
    node: 'n1',
    gpuIndex: 0,
    firstHour: new Date(DAY + 22 * 3_600_000),
    lastHour: new Date(DAY + 26 * 3_600_000),
  };

  it("names the series' hour documents of the day, and the day's week and month documents", () => {
    const ids = bucketIdsOf('gpu', series, { fromMs: DAY, toMs: DAY + DAY_MS });
    expect(ids).toEqual([
      JSON.stringify(['g', '1m', 'n1', 0, DAY + 22 * 3_600_000]),
      JSON.stringify(['g', '1m', 'n1', 0, DAY + 23 * 3_600_000]),
      JSON.stringify(['g', '1h', 'n1', 0, containerStartMs('1h', DAY)]),
      JSON.stringify(['g', '1d', 'n1', 0, containerStartMs('1d', DAY)]),
    ]);
    expect(bucketIdsOf('gpu', series, { fromMs: DAY - DAY_MS, toMs: DAY })).toEqual([]);
  });
});

describe('the uncommitted-batch check', () => {
  // Partition 0 committed up to 100 (next to consume), partition 1 up to 7, partition 2 never.
  const commits: GroupCommits = {
    topic: 'telemetry.tokens.v1',
    groupId: 'tm-proc.telemetry.tokens.v1',
    offsets: new Map([
      [0, 100],
      [1, 7],
    ]),
  };
  const raw = (id: string, src?: { p: number; o: number }): StoredRawDocument => ({
    _id: id,
    time: new Date(DAY),
    ...(src === undefined ? {} : { src }),
  });

  it('passes raw events and watermarks up to the committed offset - 1', () => {
    expect(uncommittedEvent([raw('a', { p: 0, o: 99 }), raw('b', { p: 1, o: 6 })], commits)).toBeUndefined();
    expect(uncommittedWatermark([{ _id: 'd', wm: { p0: 99, p1: 6 } }, { _id: 'e' }], commits)).toBeUndefined();
  });

  it('finds a raw event at or after the committed offset', () => {
    expect(uncommittedEvent([raw('a', { p: 0, o: 5 }), raw('b', { p: 0, o: 100 })], commits)).toEqual({
      what: 'raw event b',
      topic: 'telemetry.tokens.v1',
      groupId: 'tm-proc.telemetry.tokens.v1',
      partition: 0,
      committed: 100,
      offset: 100,
    });
    expect(uncommittedEvent([raw('c', { p: 1, o: 31 })], commits)).toMatchObject({ committed: 7, offset: 31 });
  });

  it('finds a watermark at or after the committed offset', () => {
    expect(uncommittedWatermark([{ _id: 'd', wm: { p0: 20, p1: 7 } }], commits)).toEqual({
      what: 'bucket document d',
      topic: 'telemetry.tokens.v1',
      groupId: 'tm-proc.telemetry.tokens.v1',
      partition: 1,
      committed: 7,
      offset: 7,
    });
  });

  it('takes a partition without a committed offset as 0: any event or watermark of it is uncommitted', () => {
    expect(uncommittedEvent([raw('a', { p: 2, o: 0 })], commits)).toMatchObject({ partition: 2, committed: 0 });
    expect(uncommittedWatermark([{ _id: 'd', wm: { p2: 0 } }], commits)).toMatchObject({ partition: 2, committed: 0 });
    // kafkajs reports a partition without a commit as offset -1.
    expect(
      committedOffsetsOf([
        { partition: 0, offset: '100' },
        { partition: 2, offset: '-1' },
      ]),
    ).toEqual(new Map([[0, 100]]));
  });

  it('skips raw events without src (they cannot be checked; the rebuild counts them)', () => {
    expect(uncommittedEvent([raw('a'), raw('b', { p: 0, o: 1 })], commits)).toBeUndefined();
  });

  it('refuses with the topic, partition, offsets and what to do', () => {
    const finding = uncommittedEvent([raw('b', { p: 0, o: 104 })], commits);
    if (finding === undefined) throw new Error('no finding');
    const message = new UncommittedBatchError(finding).message;
    expect(message).toMatch(/^uncommitted batch found on topic telemetry\.tokens\.v1 partition 0: raw event b/);
    expect(message).toMatch(/src offset 104, at or past the committed offset 100 of consumer group tm-proc/);
    expect(message).toMatch(/Nothing was written/);
    expect(message).toMatch(/start the processors, let them catch up, stop them with SIGTERM .*run the rebuild again/i);
    expect(message).toMatch(/--force does not override this check/);
  });
});
