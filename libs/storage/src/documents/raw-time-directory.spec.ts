import {
  announcementDocument,
  announcementId,
  compareEntries,
  decodeEntries,
  encodeEntries,
  listingEntryOf,
  MAX_SEGMENT_ENTRIES,
  minutesByHour,
  planSegments,
  type RawListingEntry,
  segmentDocument,
  segmentId,
} from './raw-time-directory';

const T = Date.parse('2026-11-25T10:59:30.000Z');

describe('time directory entries', () => {
  it('round-trip through the binary encoding, optional fields absent or present, strings shared', () => {
    const entries: RawListingEntry[] = [
      { timeMs: T, id: 'a', tenant: 'acme', model: 'llama', node: 'node-1' },
      { timeMs: T + 0.5, id: 'b:with.punct_-', tenant: 'acme', model: 'llama', node: 'node-1', gpuIndex: 0 },
      { timeMs: T + 1, id: 'c', node: 'node-2', gpuIndex: 1023 },
      { timeMs: T + 2, id: 'x'.repeat(128), tenant: 'ünïcode ✓', model: '', node: 'n' },
    ];
    const bytes = encodeEntries(entries);
    expect(decodeEntries(bytes)).toStrictEqual(entries);
    // The labels are stored once: four entries cost far less than four times their strings.
    const many = Array.from({ length: 100 }, (_, i) => ({ ...entries[0], id: `e-${i}` }) as RawListingEntry);
    expect(encodeEntries(many).length).toBeLessThan(100 * 30);
    expect(decodeEntries(encodeEntries([]))).toEqual([]);
  });

  it('refuses an eventId it could not decode back', () => {
    expect(() => encodeEntries([{ timeMs: T, id: 'has space' }])).toThrow(/ASCII/);
    expect(() => encodeEntries([{ timeMs: T, id: 'x'.repeat(256) }])).toThrow(/ASCII/);
  });

  it('takes time, eventId and the filter fields from an event', () => {
    expect(
      listingEntryOf({
        eventId: 'e1',
        time: '2026-11-25T10:59:30.250Z',
        tenant: 't',
        model: 'm',
        node: 'n',
        gpuIndex: 2,
      }),
    ).toStrictEqual({ timeMs: T + 250, id: 'e1', tenant: 't', model: 'm', node: 'n', gpuIndex: 2 });
    expect(listingEntryOf({ eventId: 'g', time: '2026-11-25T10:59:30Z', node: 'n', gpuIndex: 0 })).toStrictEqual({
      timeMs: T,
      id: 'g',
      node: 'n',
      gpuIndex: 0,
    });
  });

  it('orders by time, then eventId by code unit (byte order for ASCII, as MongoDB)', () => {
    const sorted = [
      { timeMs: 2, id: 'a' },
      { timeMs: 1, id: 'b' },
      { timeMs: 1, id: 'B' },
      { timeMs: 1, id: 'a' },
      { timeMs: 1, id: 'a-1' },
    ].sort(compareEntries);
    expect(sorted).toEqual([
      { timeMs: 1, id: 'B' },
      { timeMs: 1, id: 'a' },
      { timeMs: 1, id: 'a-1' },
      { timeMs: 1, id: 'b' },
      { timeMs: 2, id: 'a' },
    ]);
  });
});

describe('planning a batch', () => {
  it('groups by UTC minute in order, sorts each minute, and splits a full minute into segments', () => {
    const entries: RawListingEntry[] = [
      { timeMs: T + 31_000, id: 'next-hour' }, // 11:00:01
      { timeMs: T + 29_999, id: 'z' }, // 10:59:59.999
      { timeMs: T - 30_001, id: 'prev-minute' }, // 10:58:59.999
      { timeMs: T, id: 'a' },
    ];
    const planned = planSegments('tokens', entries);
    expect(planned.map((p) => [new Date(p.minuteMs).toISOString(), p.entries.map((e) => e.id)])).toEqual([
      ['2026-11-25T10:58:00.000Z', ['prev-minute']],
      ['2026-11-25T10:59:00.000Z', ['a', 'z']],
      ['2026-11-25T11:00:00.000Z', ['next-hour']],
    ]);
    const groups = [...minutesByHour(planned).values()].map((g) => [new Date(g.hourMs).toISOString(), [...g.minutes]]);
    expect(groups).toEqual([
      ['2026-11-25T10:00:00.000Z', [58, 59]],
      ['2026-11-25T11:00:00.000Z', [0]],
    ]);

    const full = Array.from({ length: MAX_SEGMENT_ENTRIES * 2 + 1 }, (_, i) => ({ timeMs: T, id: `e${i}` }));
    expect(planSegments('gpu', full).map((p) => p.entries.length)).toEqual([
      MAX_SEGMENT_ENTRIES,
      MAX_SEGMENT_ENTRIES,
      1,
    ]);
  });

  it('names documents by kind, UTC minute or hour and slot; `end` is when retention may drop them', () => {
    const [segment] = planSegments('tokenIntervals', [{ timeMs: T, id: 'a' }]);
    if (segment === undefined) throw new Error('no segment planned');
    const doc = segmentDocument(segment, 3);
    expect(doc._id).toBe('tokenIntervals|m|2026-11-25T10:59|3');
    expect(doc._id).toBe(segmentId('tokenIntervals', segment.minuteMs, 3));
    expect(doc.end.toISOString()).toBe('2026-11-25T11:00:00.000Z');
    expect(decodeEntries(doc.e)).toEqual([{ timeMs: T, id: 'a' }]);

    const hourMs = Date.parse('2026-11-25T10:00:00Z');
    const announcement = announcementDocument('gpu', hourMs, 0, new Set([59, 3]));
    expect(announcement._id).toBe('gpu|h|2026-11-25T10|0');
    expect(announcement._id).toBe(announcementId('gpu', hourMs, 0));
    expect([...announcement.m]).toEqual([3, 59]);
    expect(announcement.end.toISOString()).toBe('2026-11-25T11:00:00.000Z');
  });
});
