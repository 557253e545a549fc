import type { RawListingEntry, TokenEventDocument } from '@tokenmeter/storage';
import type { EventPageQuery } from './raw-listing';
import { documentMatches, entryMatches, pageCandidates, walkStartMs } from './raw-time-directory.listing';

const T = Date.parse('2026-11-25T10:00:00.000Z');
const query = (overrides: Partial<EventPageQuery> = {}): EventPageQuery => ({
  fromMs: T,
  toMs: T + 60_000,
  equals: {},
  limit: 10,
  ...overrides,
});
const entry = (id: string, offsetMs: number, fields: Partial<RawListingEntry> = {}): RawListingEntry => ({
  timeMs: T + offsetMs,
  id,
  tenant: 'acme',
  model: 'm',
  node: 'n1',
  ...fields,
});

describe('the cursor walk', () => {
  it('starts at the range start, or at the cursor when it is later', () => {
    expect(walkStartMs(query())).toBe(T);
    expect(walkStartMs(query({ after: { timeMs: T + 5, id: 'x' } }))).toBe(T + 5);
    expect(walkStartMs(query({ after: { timeMs: T - 5, id: 'x' } }))).toBe(T);
  });

  it('keeps [from, to) and only what comes after the cursor in (time, eventId) order', () => {
    const q = query({ after: { timeMs: T + 10, id: 'b' } });
    expect(entryMatches(entry('a', 10), q)).toBe(false);
    expect(entryMatches(entry('b', 10), q)).toBe(false);
    expect(entryMatches(entry('c', 10), q)).toBe(true);
    expect(entryMatches(entry('a', 11), q)).toBe(true);
    expect(entryMatches(entry('a', 60_000), q)).toBe(false);
    expect(entryMatches(entry('a', -1), query())).toBe(false);
    expect(entryMatches(entry('a', 0), query())).toBe(true);
  });

  it('filters with strict, typed equality and the key’s tenant scope', () => {
    expect(entryMatches(entry('a', 0), query({ equals: { tenant: 'acme', node: 'n1' } }))).toBe(true);
    expect(entryMatches(entry('a', 0), query({ equals: { tenant: 'ACME' } }))).toBe(false);
    expect(entryMatches(entry('a', 0, { gpuIndex: 1 }), query({ equals: { gpuIndex: 1 } }))).toBe(true);
    expect(entryMatches(entry('a', 0, { gpuIndex: 1 }), query({ equals: { gpuIndex: '1' } }))).toBe(false);
    expect(entryMatches(entry('a', 0), query({ equals: { gpuIndex: 0 } }))).toBe(false);
    expect(entryMatches(entry('a', 0), query({ tenantIn: ['other', 'acme'] }))).toBe(true);
    expect(entryMatches(entry('a', 0), query({ tenantIn: [] }))).toBe(false);
    // A GPU shared by all tenants has none: only an all-tenant key sees it.
    expect(entryMatches(entry('g', 0, { tenant: undefined }), query({ tenantIn: ['acme'] }))).toBe(false);
    expect(entryMatches(entry('g', 0, { tenant: undefined }), query())).toBe(true);
  });

  it('merges segments of whole minutes into one ordered list with each eventId once', () => {
    const replayed = [entry('b', 5), entry('a', 5)];
    const candidates = pageCandidates(
      [[entry('c', 1), entry('a', 5)], replayed, [entry('z', 0), entry('x', 7, { tenant: 'other' })]],
      query({ equals: { tenant: 'acme' } }),
    );
    expect(candidates.map((e) => e.id)).toEqual(['z', 'c', 'a', 'b']);
  });

  it('checks a read document against the query like the index query would', () => {
    const doc = { _id: 'd', time: new Date(T + 3), tenant: 'acme', model: 'm', node: 'n1' } as TokenEventDocument;
    expect(documentMatches(doc, query())).toBe(true);
    expect(documentMatches(doc, query({ equals: { model: 'other' } }))).toBe(false);
    expect(documentMatches(doc, query({ after: { timeMs: T + 3, id: 'd' } }))).toBe(false);
    expect(documentMatches(doc, query({ after: { timeMs: T + 3, id: 'c' } }))).toBe(true);
    expect(documentMatches(doc, query({ fromMs: T + 4 }))).toBe(false);
    expect(documentMatches(doc, query({ tenantIn: ['b'] }))).toBe(false);
  });
});
