// RawEventReader against the real MongoDB-protocol server, over documents written by the
// processor's RawEventRepository (the writer/reader contract): keyset pages by (time, _id),
// exact equality filters and half-open [from, to) time bounds — through both RawListing
// implementations on the same events: the index range of the mongodb dialect and the time
// directory of the ferretdb one, each the listing its connection's dialect (forced) chooses, each
// over a database its own dialect's writer stored (fields and indexes, or packed and listed).
import { randomUUID } from 'node:crypto';
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import {
  type GpuSampleDocument,
  gpuSampleToDocument,
  MongoConnection,
  type StorageDialectName,
  tokenDocumentToEvent,
  type TokenEventDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { QueryApiConfig } from '../../apps/query-api/src/config';
import { type EventPageQuery, RawEventReader } from '../../apps/query-api/src/storage/raw-event.reader';
import { IndexRangeListing } from '../../apps/query-api/src/storage/raw-index-range.listing';
import { rawListingFor } from '../../apps/query-api/src/storage/raw-listing.provider';
import { TimeDirectoryListing } from '../../apps/query-api/src/storage/raw-time-directory.listing';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';

const { mongoUrl } = serverEnv();
const dbName = `tm_int_reader_${runId()}`;
const config = QueryApiConfig.fromEnv({ MONGO_URL: mongoUrl, MONGO_DB: dbName });

const connections: MongoConnection[] = [];
const writers: RawEventRepository[] = [];
const readers = new Map<string, RawEventReader>();
/** Each listing, with the dialect that chooses it and the class it must be. */
const LISTINGS: Record<string, { dialect: StorageDialectName; type: abstract new (...args: never[]) => object }> = {
  'index range': { dialect: 'mongodb', type: IndexRangeListing },
  'time directory': { dialect: 'ferretdb', type: TimeDirectoryListing },
};

// A fixed minute in the recent past; every time below is an offset from it.
const T0 = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
const at = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const storedAt = new Date();

type Page<T> = (q: EventPageQuery) => Promise<T[]>;

/** Follows the keyset from page to page like the API's cursor does; returns the pages. */
async function allPages<T extends { _id: string; time: Date }>(
  page: Page<T>,
  q: Omit<EventPageQuery, 'after'>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: EventPageQuery['after'];
  for (let i = 0; i < 1_000; i += 1) {
    const items = await page(after === undefined ? q : { ...q, after });
    pages.push(items);
    const last = items[items.length - 1];
    if (items.length < q.limit || last === undefined) return pages;
    after = { timeMs: last.time.getTime(), id: last._id };
  }
  throw new Error('pagination did not end');
}

function byTimeThenId(a: { time: Date; _id: string }, b: { time: Date; _id: string }): number {
  const dt = a.time.getTime() - b.time.getTime();
  if (dt !== 0) return dt;
  // MongoDB compares strings by their bytes; these ids are ASCII, where that is code-unit order.
  return a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
}

/**
 * Stores events as the batch processor does, in every dialect's database: raw insert, then listed
 * (all owned: first copies). The outcome of each insert, one per dialect.
 */
async function storeTokens(events: TokenUsageEvent[]) {
  const outcomes = [];
  for (const writer of writers) {
    outcomes.push(await writer.insertTokenEvents(events.map((e) => tokenEventToDocument(e, { storedAt }))));
    await writer.recordListing({ tokens: events });
  }
  return outcomes;
}
async function storeGpus(samples: GpuSample[]) {
  for (const writer of writers) {
    await writer.insertGpuSamples(samples.map((s) => gpuSampleToDocument(s, { storedAt })));
    await writer.recordListing({ gpu: samples });
  }
}

// The data, stored once and read through each listing.
// 250 events at the same instant: only _id orders them. Ids are random, so insertion order says nothing.
const tied = Array.from({ length: 250 }, () =>
  buildTokenUsageEvent({ eventId: randomUUID(), tenant: 'paging', time: at(30_000) }),
);
// Neighbours one millisecond either side, to check time comes before _id in the order.
const before = Array.from({ length: 15 }, () =>
  buildTokenUsageEvent({ eventId: randomUUID(), tenant: 'paging', time: at(29_999) }),
);
const after = Array.from({ length: 15 }, () =>
  buildTokenUsageEvent({ eventId: randomUUID(), tenant: 'paging', time: at(30_001) }),
);

// A grid of token events: 3 tenants (one differing only in case, one a prefix) x 2 nodes, one per 10 s.
const tenants = ['acme', 'ACME', 'acme2'];
const nodes = ['node-a', 'node-b'];
const tokens: TokenUsageEvent[] = [];
const gpus: GpuSample[] = [];
for (let i = 0; i < 60; i += 1) {
  tokens.push(
    buildTokenUsageEvent({
      eventId: `filter-tok-${String(i).padStart(3, '0')}`,
      tenant: tenants[i % 3] as string,
      node: nodes[i % 2] as string,
      time: at(120_000 + i * 10_000),
    }),
  );
  gpus.push(
    buildGpuSample({
      eventId: `filter-gpu-${String(i).padStart(3, '0')}`,
      node: nodes[i % 2] as string,
      gpuIndex: i % 4,
      time: at(120_000 + i * 10_000),
    }),
  );
}
const fromMs = T0 + 120_000 + 10 * 10_000; // exactly the time of event 10: included
const toMs = T0 + 120_000 + 50 * 10_000; // exactly the time of event 50: excluded
const inRange = (e: { time: string }): boolean => Date.parse(e.time) >= fromMs && Date.parse(e.time) < toMs;

beforeAll(async () => {
  for (const [name, { dialect, type }] of Object.entries(LISTINGS)) {
    const connection = await MongoConnection.open({ ...config.mongo, dbName: `${dbName}_${dialect}`, dialect });
    connections.push(connection);
    const listing = rawListingFor(connection);
    expect(listing).toBeInstanceOf(type);
    readers.set(name, new RawEventReader(connection, listing));
    const writer = new RawEventRepository(connection);
    await writer.onModuleInit();
    writers.push(writer);
  }
  const outcomes = await storeTokens([...after, ...tied, ...before]);
  for (const outcome of outcomes) expect(outcome).toMatchObject({ inserted: 280, duplicates: 0 });
  expect(outcomes).toHaveLength(writers.length);
  await storeTokens(tokens);
  await storeGpus(gpus);
});

afterAll(async () => {
  for (const connection of connections) await connection.close();
  for (const { dialect } of Object.values(LISTINGS)) await dropDatabase(mongoUrl, `${dbName}_${dialect}`);
});

describe.each(Object.keys(LISTINGS))('RawEventReader by %s', (name) => {
  const reader = () => readers.get(name) as RawEventReader;
  const readTokens: Page<TokenEventDocument> = (q) => reader().tokenPage(q);
  const readGpus: Page<GpuSampleDocument> = (q) => reader().gpuPage(q);

  describe('keyset pagination', () => {
    it('returns 250 events with one timestamp exactly once each, in _id order, across pages of 40', async () => {
      const pages = await allPages(readTokens, {
        fromMs: T0 + 30_000,
        toMs: T0 + 30_001,
        equals: { tenant: 'paging' },
        limit: 40,
      });
      expect(pages.map((p) => p.length)).toEqual([40, 40, 40, 40, 40, 40, 10]);
      const ids = pages.flat().map((d) => d._id);
      expect(new Set(ids).size).toBe(250);
      expect(ids).toEqual(tied.map((e) => e.eventId).sort());
    });

    it('orders by time first and _id second across the tie, with no gaps or repeats', async () => {
      const pages = await allPages(readTokens, { fromMs: T0, toMs: T0 + 60_000, equals: {}, limit: 40 });
      const items = pages.flat();
      expect(items).toHaveLength(280);
      const expected = [...before, ...tied, ...after]
        .map((e) => tokenEventToDocument(e, { storedAt }))
        .sort(byTimeThenId);
      expect(items.map((d) => d._id)).toEqual(expected.map((d) => d._id));
      // Read back in the contract shape, exactly as written.
      const original = new Map([...before, ...tied, ...after].map((e) => [e.eventId, e]));
      for (const doc of items.slice(0, 20)) expect(tokenDocumentToEvent(doc)).toStrictEqual(original.get(doc._id));
    });

    it('finds one event by id, and answers null for an unknown id', async () => {
      const wanted = tied[17] as TokenUsageEvent;
      const doc = await reader().tokenById(wanted.eventId);
      expect(doc && tokenDocumentToEvent(doc)).toStrictEqual(wanted);
      await expect(reader().tokenById(randomUUID())).resolves.toBeNull();
    });
  });

  describe('filters and time bounds', () => {
    it('includes `from` and excludes `to`', async () => {
      const items = (await allPages(readTokens, { fromMs, toMs, equals: {}, limit: 7 })).flat();
      const ids = items.map((d) => d._id);
      expect(ids).toEqual(tokens.filter(inRange).map((e) => e.eventId));
      expect(ids[0]).toBe('filter-tok-010');
      expect(ids[ids.length - 1]).toBe('filter-tok-049');
    });

    it.each<{ name: string; equals: Record<string, string> }>([
      { name: 'tenant', equals: { tenant: 'acme' } },
      { name: 'tenant, other case', equals: { tenant: 'ACME' } },
      { name: 'node', equals: { node: 'node-b' } },
      { name: 'tenant and node', equals: { tenant: 'acme2', node: 'node-a' } },
      { name: 'unknown tenant', equals: { tenant: 'acm' } },
    ])('token filter on $name matches exactly', async ({ equals }) => {
      const items = (await allPages(readTokens, { fromMs, toMs, equals, limit: 5 })).flat();
      const expected = tokens.filter(
        (e) => inRange(e) && Object.entries(equals).every(([k, v]) => e[k as keyof TokenUsageEvent] === v),
      );
      expect(items.map((d) => d._id)).toEqual(expected.map((e) => e.eventId));
    });

    it.each<{ name: string; equals: Record<string, string | number>; matches: boolean }>([
      { name: 'node', equals: { node: 'node-a' }, matches: true },
      { name: 'gpuIndex 0 (a number)', equals: { gpuIndex: 0 }, matches: true },
      { name: 'node and gpuIndex', equals: { node: 'node-b', gpuIndex: 3 }, matches: true },
      { name: 'gpuIndex as a string (no type coercion)', equals: { gpuIndex: '1' }, matches: false },
    ])('GPU filter on $name matches exactly', async ({ equals, matches }) => {
      const items = (await allPages(readGpus, { fromMs, toMs, equals, limit: 4 })).flat();
      const expected = gpus.filter(
        (s) => inRange(s) && Object.entries(equals).every(([k, v]) => s[k as keyof GpuSample] === v),
      );
      expect(items.map((d) => d._id)).toEqual(expected.map((s) => s.eventId));
      expect(items.length > 0).toBe(matches);
    });
  });
});
