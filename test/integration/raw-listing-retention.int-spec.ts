// Retention of the raw events' time directory: a segment or announcement goes once the whole minute
// or hour it covers is past the raw retention, and a listing across the cutoff shows exactly the
// raw events retention kept (a kept segment may still name deleted events: they are skipped).
import { type TokenUsageEvent } from '@tokenmeter/contracts';
import { MongoConnection, RAW_TIME_DIRECTORY_COLLECTION, tokenEventToDocument } from '@tokenmeter/storage';
import { buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { FixedClock } from '@tokenmeter/telemetry/testing';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { RawEventReader } from '../../apps/query-api/src/storage/raw-event.reader';
import { TimeDirectoryListing } from '../../apps/query-api/src/storage/raw-time-directory.listing';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';
import { wireProcessor } from '../support/processor-wiring';

const { kafkaBrokers, mongoUrl } = serverEnv();
const dbName = `tm_int_listing_retention_${runId()}`;
const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: kafkaBrokers, MONGO_URL: mongoUrl, MONGO_DB: dbName });
const NOW = Date.parse('2026-11-25T12:00:30Z');
const MINUTE = 60_000;

let mongo: MongoConnection;

beforeAll(async () => {
  // The ferretdb dialect, forced: the one that writes and reads the time directory.
  mongo = await MongoConnection.open({ ...config.mongo, dialect: 'ferretdb' });
});

afterAll(async () => {
  await mongo?.close();
  await dropDatabase(mongoUrl, dbName);
});

it('drops directory documents with the minutes and hours they cover, and lists what is kept', async () => {
  const cutoff = NOW - config.retention.rawMs; // 12:00:30, seven days back
  // One event every 10 s from 2 min 5 s before the cutoff to 1 min 55 s after it.
  const events: TokenUsageEvent[] = Array.from({ length: 24 }, (_, i) =>
    buildTokenUsageEvent({
      eventId: `ret-${String(i).padStart(2, '0')}`,
      time: new Date(cutoff - 125_000 + i * 10_000).toISOString(),
    }),
  );
  const wiring = await wireProcessor(config, mongo, { clock: new FixedClock(NOW), init: 'none' });
  const { raw } = wiring;
  await raw.insertTokenEvents(events.map((e) => tokenEventToDocument(e, { storedAt: new Date(NOW) })));
  await raw.recordListing({ tokens: events });
  const directory = mongo.collection<{ _id: string }>(RAW_TIME_DIRECTORY_COLLECTION);
  const before = (await directory.find({}).toArray()).map((d) => d._id).sort();
  // Minutes 11:58 .. 12:02 of that day, announced in hours 11 and 12.
  expect(before.filter((id) => id.includes('|m|'))).toHaveLength(5);
  expect(before.filter((id) => id.includes('|h|'))).toHaveLength(2);

  const deleted = await wiring.retention.runOnce();
  // Minutes 11:58 and 11:59 and hour 11 are wholly past the cutoff; minute 12:00 is not.
  expect(deleted[RAW_TIME_DIRECTORY_COLLECTION]).toBe(3);
  expect((await directory.find({}).toArray()).map((d) => d._id).sort()).toEqual(
    before.filter((id) => !/\|(m\|\S+T11:5[89]|h\|\S+T11)\|/.test(id)),
  );
  const kept = events.filter((e) => Date.parse(e.time) >= cutoff).map((e) => e.eventId);
  expect(deleted.token_events).toBe(events.length - kept.length);

  const reader = new RawEventReader(mongo, new TimeDirectoryListing(mongo));
  const page = await reader.tokenPage({ fromMs: cutoff - 10 * MINUTE, toMs: NOW, equals: {}, limit: 100 });
  expect(page.map((d) => d._id)).toEqual(kept);
  // A page that starts among deleted events still fills up from the kept ones.
  const small = await reader.tokenPage({ fromMs: cutoff - 10 * MINUTE, toMs: NOW, equals: {}, limit: 3 });
  expect(small.map((d) => d._id)).toEqual(kept.slice(0, 3));
});
