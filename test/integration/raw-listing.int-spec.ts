// Raw listings through BOTH RawListing implementations on the real server (FerretDB locally): the
// index range (the mongodb dialect's) and the time directory (the ferretdb dialect's), each chosen
// by a connection whose dialect is forced, must list exactly the stored events, each once, in
// (time, eventId) order across pages. The data goes in through the real BatchProcessor of each
// dialect, each into its own database (ferretdb: packed raw insert, ownership, time directory;
// mongodb: raw documents with their listing indexes), including a replayed batch, a replay with
// other batch boundaries, a crash right after the raw insert, and events posted twice by a client.
import { HEADERS, type GpuSample, type TokenUsageEvent, type TokenUsageInterval } from '@tokenmeter/contracts';
import { MongoConnection, RAW_TIME_DIRECTORY_COLLECTION, tokenEventToDocument } from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import type { KafkaMessage } from 'kafkajs';
import { ProcessorConfig } from '../../apps/processor/src/config';
import type { BatchProcessor } from '../../apps/processor/src/ingestion/batch-processor';
import type { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { RollupConflictError } from '../../apps/processor/src/storage/rollup.repository';
import { RawEventReader } from '../../apps/query-api/src/storage/raw-event.reader';
import { IndexRangeListing } from '../../apps/query-api/src/storage/raw-index-range.listing';
import type { EventPageQuery } from '../../apps/query-api/src/storage/raw-listing';
import { rawListingFor } from '../../apps/query-api/src/storage/raw-listing.provider';
import { TimeDirectoryListing } from '../../apps/query-api/src/storage/raw-time-directory.listing';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';
import { type ProcessorWiring, wireProcessor } from '../support/processor-wiring';

const { kafkaBrokers, mongoUrl } = serverEnv();
const dbName = `tm_int_listing_${runId()}`;
const config = ProcessorConfig.fromEnv({
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: dbName,
  STORAGE_DIALECT: 'ferretdb',
});

const MINUTE = 60_000;
const HOUR = 3_600_000;
// A UTC hour two hours back: the data sits in it and the next one.
const H0 = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
const at = (offsetMs: number): string => new Date(H0 + offsetMs).toISOString();

/** The ferretdb dialect's connection: writes and reads the time directory. */
let mongo: MongoConnection;
/** The mongodb dialect's connection, to a database of its own: lists by index range. */
let rangeMongo: MongoConnection;
/** One processor per dialect, each writing its own database. */
const pipelines: { processor: BatchProcessor; rawEvents: RawEventRepository }[] = [];
const wirings: ProcessorWiring[] = [];
const readers: Record<string, RawEventReader> = {};

function message(offset: number, value: unknown, schema?: string): KafkaMessage {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    value: Buffer.from(JSON.stringify(value)),
    headers: schema === undefined ? {} : { [HEADERS.schema]: schema },
    timestamp: String(Date.now()),
    attributes: 0,
  };
}

/**
 * Processes a batch in every dialect's pipeline. Some series here get events from more than one
 * partition (the producer never does that: it keys by series), so the mongodb dialect's
 * compare-and-set rollup write may find a bucket another partition changed since it remembered it:
 * it then refuses, forgets, and the batch is retried, as the consumer does.
 */
const process = async (kind: 'tokens' | 'gpu', partition: number, messages: KafkaMessage[]) => {
  for (const { processor } of pipelines) {
    const batch = { topic: `t.${kind}`, partition, messages };
    await processor.process(kind, batch).catch((error: unknown) => {
      if (!(error instanceof RollupConflictError)) throw error;
      return processor.process(kind, batch);
    });
  }
};

// What is stored: the first copy of each eventId (the one its first message carried).
const storedTokens = new Map<string, TokenUsageEvent>();
const storedIntervals = new Map<string, TokenUsageInterval>();
const storedGpus = new Map<string, GpuSample>();
const remember = <E extends { eventId: string }>(into: Map<string, E>, events: E[]) => {
  for (const e of events) if (!into.has(e.eventId)) into.set(e.eventId, e);
};

const TENANTS = ['acme', 'ACME', 'acme2'];
const MODELS = ['m-a', 'm-b'];
const NODES = ['node-a', 'node-b', 'node-c'];
let seq = 0;
function token(offsetMs: number, overrides: Partial<TokenUsageEvent> = {}): TokenUsageEvent {
  seq += 1;
  return buildTokenUsageEvent({
    // Ids not in time order, so eventId order within a millisecond is not insertion order.
    eventId: `tok-${((seq * 7919) % 100_003).toString(36)}-${seq}`,
    time: at(offsetMs),
    tenant: TENANTS[seq % 3] as string,
    model: MODELS[seq % 2] as string,
    node: NODES[seq % 3] as string,
    ...overrides,
  });
}

beforeAll(async () => {
  mongo = await MongoConnection.open(config.mongo);
  rangeMongo = await MongoConnection.open({ ...config.mongo, dbName: `${dbName}_range`, dialect: 'mongodb' });
  for (const connection of [mongo, rangeMongo]) {
    // No dead letters are produced here, so the publisher need not connect.
    const wiring = await wireProcessor(config, connection, { init: 'storage' });
    wirings.push(wiring);
    pipelines.push({ processor: wiring.processor, rawEvents: wiring.raw });
  }
  readers['index range'] = new RawEventReader(rangeMongo, rawListingFor(rangeMongo));
  readers['time directory'] = new RawEventReader(mongo, rawListingFor(mongo));

  // Partition 0: a dense minute (minute 10), written by three batches whose times interleave,
  // 250 events at one instant among them (only eventId orders those).
  const dense = Array.from({ length: 600 }, (_, i) => token(10 * MINUTE + (i % 3 === 0 ? 30_000 : (i * 97) % 60_000)));
  for (let b = 0; b < 3; b += 1) {
    const part = dense.filter((_, i) => i % 3 === b);
    await process(
      'tokens',
      0,
      part.map((e, i) => message(1_000 * b + i, e)),
    );
    remember(storedTokens, part);
  }
  // Partition 1: a sparse trail, one event every 7 minutes across both hours.
  const sparse = Array.from({ length: 17 }, (_, i) => token(3 * MINUTE + i * 7 * MINUTE + i));
  await process(
    'tokens',
    1,
    sparse.map((e, i) => message(i, e)),
  );
  remember(storedTokens, sparse);

  // A batch delivered again after a crash (nothing committed), then a replay from an earlier offset
  // with other batch boundaries: the raw inserts are duplicates of this very message, still owned.
  const replayed = Array.from({ length: 40 }, (_, i) => token(20 * MINUTE + i * 1_000));
  const replayMessages = replayed.map((e, i) => message(100 + i, e));
  await process('tokens', 2, replayMessages.slice(0, 30));
  await process('tokens', 2, replayMessages.slice(0, 30));
  await process('tokens', 2, replayMessages.slice(10));
  remember(storedTokens, replayed);

  // A crash right after the raw insert: stored, not yet listed; the redelivered batch lists them.
  const crashed = Array.from({ length: 12 }, (_, i) => token(21 * MINUTE + i * 3_000));
  const crashMessages = crashed.map((e, i) => message(500 + i, e));
  for (const { rawEvents } of pipelines) {
    await rawEvents.insertTokenEvents(
      crashed.map((e, i) => tokenEventToDocument(e, { storedAt: new Date(), src: { p: 2, o: 500 + i } })),
    );
  }
  await process('tokens', 2, crashMessages);
  remember(storedTokens, crashed);

  // A client posts some events twice (later offsets, another partition's batch even), one of them
  // with a different tenant in its second copy: stored once, as first posted, listed once.
  const posted = Array.from({ length: 8 }, (_, i) => token(22 * MINUTE + i * 500));
  await process(
    'tokens',
    0,
    posted.map((e, i) => message(5_000 + i, e)),
  );
  const again = posted.map((e, i) => (i === 3 ? { ...e, tenant: 'someone-else' } : e));
  await process(
    'tokens',
    1,
    again.map((e, i) => message(6_000 + i, e)),
  );
  remember(storedTokens, posted);

  // Intervals on the tokens topic, and GPU samples (some dedicated to a tenant, most shared).
  const intervals = Array.from({ length: 30 }, (_, i) =>
    buildTokenUsageInterval({
      eventId: `iv-${(i * 37) % 30}-${i}`,
      time: at(30 * MINUTE + i * 20_000),
      tenant: TENANTS[i % 3] as string,
      node: NODES[i % 3] as string,
    }),
  );
  await process(
    'tokens',
    0,
    intervals.map((e, i) => message(7_000 + i, e, 'tokens-interval.v1')),
  );
  remember(storedIntervals, intervals);
  const gpus = Array.from({ length: 90 }, (_, i) =>
    buildGpuSample({
      eventId: `gpu-${(i * 13) % 90}-${i}`,
      time: at(40 * MINUTE + Math.floor(i / 2) * 10_000),
      node: NODES[i % 3] as string,
      gpuIndex: i % 4,
      ...(i % 5 === 0 ? { tenant: 'acme' } : {}),
    }),
  );
  await process(
    'gpu',
    0,
    gpus.map((e, i) => message(i, e)),
  );
  remember(storedGpus, gpus);
});

afterAll(async () => {
  for (const wiring of wirings) await wiring.close();
  await mongo?.close();
  await rangeMongo?.close();
  await dropDatabase(mongoUrl, dbName);
  await dropDatabase(mongoUrl, `${dbName}_range`);
});

type Listed = { _id: string; time: Date };

/** Follows the keyset from page to page like the API's cursor does (it asks for limit + 1). */
async function allPages<T extends Listed>(
  page: (q: EventPageQuery) => Promise<T[]>,
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

function expected<E extends { eventId: string; time: string }>(
  stored: Map<string, E>,
  q: Omit<EventPageQuery, 'after' | 'limit'>,
): string[] {
  return [...stored.values()]
    .filter((e) => {
      const t = Date.parse(e.time);
      const fields = e as unknown as Record<string, unknown>;
      return (
        t >= q.fromMs &&
        t < q.toMs &&
        Object.entries(q.equals).every(([k, v]) => fields[k] === v) &&
        (q.tenantIn === undefined || q.tenantIn.includes(fields.tenant as string))
      );
    })
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.eventId < b.eventId ? -1 : 1))
    .map((e) => e.eventId);
}

const ids = (pages: Listed[][]) => pages.flat().map((d) => d._id);

describe.each(['index range', 'time directory'])('raw listing by %s', (name) => {
  const reader = () => readers[name] as RawEventReader;
  const everything = { fromMs: H0, toMs: H0 + 2 * HOUR, equals: {} };

  it('lists every stored token event exactly once, in (time, eventId) order, across pages of 37', async () => {
    const listed = ids(await allPages((q) => reader().tokenPage(q), { ...everything, limit: 37 }));
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(expected(storedTokens, everything));
    expect(listed).toHaveLength(storedTokens.size);
  });

  it('lists the dense minute the same at any page size', async () => {
    const minute = { fromMs: H0 + 10 * MINUTE, toMs: H0 + 11 * MINUTE, equals: {} };
    for (const limit of [13, 101, 1_000]) {
      expect(ids(await allPages((q) => reader().tokenPage(q), { ...minute, limit }))).toEqual(
        expected(storedTokens, minute),
      );
    }
  });

  it.each<{ what: string; q: Omit<EventPageQuery, 'after' | 'limit'> }>([
    { what: 'tenant', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: { tenant: 'acme' } } },
    { what: 'tenant in other case', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: { tenant: 'ACME' } } },
    { what: 'model and node', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: { model: 'm-b', node: 'node-c' } } },
    { what: 'tenant scope', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: {}, tenantIn: ['acme2', 'ACME'] } },
    { what: 'empty scope', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: {}, tenantIn: [] } },
    { what: 'unknown tenant', q: { fromMs: H0, toMs: H0 + 2 * HOUR, equals: { tenant: 'someone-else' } } },
    // Bounds inside minutes: from a sparse event's exact time (included) to another's (excluded).
    {
      what: 'a sparse range',
      q: { fromMs: H0 + 3 * MINUTE + 7 * 7 * MINUTE + 7, toMs: H0 + 3 * MINUTE + 16 * 7 * MINUTE + 16, equals: {} },
    },
    { what: 'an empty stretch', q: { fromMs: H0 + 11 * MINUTE, toMs: H0 + 17 * MINUTE, equals: {} } },
  ])('filters tokens by $what exactly', async ({ q }) => {
    const want = expected(storedTokens, q);
    expect(ids(await allPages((p) => reader().tokenPage(p), { ...q, limit: 9 }))).toEqual(want);
  });

  it('returns nothing past the end: a cursor after the last event, or at the range end', async () => {
    const all = expected(storedTokens, everything);
    const lastId = all[all.length - 1] as string;
    const last = storedTokens.get(lastId) as TokenUsageEvent;
    await expect(
      reader().tokenPage({ ...everything, limit: 10, after: { timeMs: Date.parse(last.time), id: lastId } }),
    ).resolves.toEqual([]);
    await expect(
      reader().tokenPage({ ...everything, limit: 10, after: { timeMs: H0 + 2 * HOUR, id: 'a' } }),
    ).resolves.toEqual([]);
    await expect(
      reader().tokenPage({ fromMs: H0 + 5 * HOUR, toMs: H0 + 6 * HOUR, equals: {}, limit: 10 }),
    ).resolves.toEqual([]);
  });

  it('lists intervals and GPU samples by their own filters', async () => {
    expect(ids(await allPages((q) => reader().tokenIntervalPage(q), { ...everything, limit: 8 }))).toEqual(
      expected(storedIntervals, everything),
    );
    const gpuQueries: Omit<EventPageQuery, 'after' | 'limit'>[] = [
      { ...everything, equals: { gpuIndex: 2 } },
      { ...everything, equals: { node: 'node-b', gpuIndex: 1 } },
      { ...everything, equals: { gpuIndex: '2' } },
      { ...everything, tenantIn: ['acme'] },
      everything,
    ];
    for (const q of gpuQueries) {
      expect(ids(await allPages((p) => reader().gpuPage(p), { ...q, limit: 11 }))).toEqual(expected(storedGpus, q));
    }
  });
});

it('chooses the time directory in the ferretdb dialect and writes it there (the index range in the mongodb dialect, without it)', async () => {
  const directory = mongo.collection(RAW_TIME_DIRECTORY_COLLECTION);
  const directoryDocs = await directory.countDocuments({});
  expect(rawListingFor(mongo)).toBeInstanceOf(TimeDirectoryListing);
  expect(directoryDocs).toBeGreaterThan(0);
  expect(rawListingFor(rangeMongo)).toBeInstanceOf(IndexRangeListing);
  // The second wiring is the mongodb dialect's (connections in the order [mongo, rangeMongo]).
  const rangeRaw = pipelines[1]?.rawEvents;
  if (rangeRaw === undefined) throw new Error('the mongodb dialect wiring is missing');
  await rangeRaw.recordListing({ tokens: [token(90 * MINUTE)] });
  expect(await directory.countDocuments({})).toBe(directoryDocs);
  // The mongodb dialect's processor stored the same batches and wrote no directory at all.
  expect(await rangeMongo.collection(RAW_TIME_DIRECTORY_COLLECTION).countDocuments({})).toBe(0);
});
