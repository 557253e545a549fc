import { coveringPieces } from './series.service';

const iso = (s: string) => Date.parse(s);
const show = (pieces: ReturnType<typeof coveringPieces>) =>
  pieces.map((p) => `${p.resolution} ${new Date(p.fromMs).toISOString()} ${new Date(p.toMs).toISOString()}`);

describe('coveringPieces', () => {
  it('tiles a range with minutes, hours and days, coarsest in the middle, without gaps or overlaps', () => {
    expect(show(coveringPieces(iso('2026-11-03T10:17:00Z'), iso('2026-11-06T02:05:00Z')))).toEqual([
      '1m 2026-11-03T10:17:00.000Z 2026-11-03T11:00:00.000Z',
      '1h 2026-11-03T11:00:00.000Z 2026-11-04T00:00:00.000Z',
      '1d 2026-11-04T00:00:00.000Z 2026-11-06T00:00:00.000Z',
      '1h 2026-11-06T00:00:00.000Z 2026-11-06T02:00:00.000Z',
      '1m 2026-11-06T02:00:00.000Z 2026-11-06T02:05:00.000Z',
    ]);
  });

  it('uses hours alone within a day, minutes alone within an hour, and no empty pieces', () => {
    expect(show(coveringPieces(iso('2026-11-03T10:00:00Z'), iso('2026-11-03T12:00:00Z')))).toEqual([
      '1h 2026-11-03T10:00:00.000Z 2026-11-03T12:00:00.000Z',
    ]);
    expect(show(coveringPieces(iso('2026-11-03T10:01:00Z'), iso('2026-11-03T10:59:00Z')))).toEqual([
      '1m 2026-11-03T10:01:00.000Z 2026-11-03T10:59:00.000Z',
    ]);
    expect(show(coveringPieces(iso('2026-11-01T00:00:00Z'), iso('2026-12-01T00:00:00Z')))).toEqual([
      '1d 2026-11-01T00:00:00.000Z 2026-12-01T00:00:00.000Z',
    ]);
  });
});
