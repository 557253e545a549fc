// The time directory writer on the real server: writers that do not know of each other (processors
// on other partitions, a restarted one with nothing remembered) share a minute's slots without a
// hole or a lost segment, and whatever they wrote reads back through the listing exactly once.
import type { TokenUsageEvent } from '@tokenmeter/contracts';
import {
  announcementId,
  MongoConnection,
  RAW_TIME_DIRECTORY_COLLECTION,
  segmentId,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { RawEventReader } from '../../apps/query-api/src/storage/raw-event.reader';
import { TimeDirectoryListing } from '../../apps/query-api/src/storage/raw-time-directory.listing';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';

const { kafkaBrokers, mongoUrl } = serverEnv();
const dbName = `tm_int_directory_${runId()}`;
const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: kafkaBrokers, MONGO_URL: mongoUrl, MONGO_DB: dbName });
const MINUTE = 60_000;
const HOUR = 3_600_000;
const H0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;

let mongo: MongoConnection;

beforeAll(async () => {
  // The ferretdb dialect, forced: the one that writes and reads the time directory.
  mongo = await MongoConnection.open({ ...config.mongo, dialect: 'ferretdb' });
});

afterAll(async () => {
  await mongo?.close();
  await dropDatabase(mongoUrl, dbName);
});

/** The slots of a key that exist, by reading far past the last one. */
async function existingSlots(idOf: (slot: number) => string, upTo: number): Promise<number[]> {
  const ids = Array.from({ length: upTo }, (_, n) => idOf(n));
  const found = new Set((await mongo.findByIds(RAW_TIME_DIRECTORY_COLLECTION, ids)).map((d) => d._id));
  return ids.flatMap((id, n) => (found.has(id) ? [n] : []));
}

it('shares the slots of busy minutes among concurrent writers with no hole and lists every event once', async () => {
  const writers = Array.from({ length: 4 }, () => new RawEventRepository(mongo));
  const stored: TokenUsageEvent[] = [];
  let seq = 0;
  const batch = (minutes: number[]) =>
    minutes.flatMap((m) =>
      Array.from({ length: 5 }, () => {
        seq += 1;
        return buildTokenUsageEvent({ eventId: `dir-${seq}`, time: new Date(H0 + m * MINUTE + seq).toISOString() });
      }),
    );
  // Five rounds: every writer writes a batch into minutes 1-3 (and one writer also into 59) at once.
  for (let round = 0; round < 5; round += 1) {
    await Promise.all(
      writers.map(async (writer, w) => {
        const events = batch(w === 0 ? [1, 2, 3, 59] : [1, 2, 3]);
        stored.push(...events);
        await writer.insertTokenEvents(events.map((e) => tokenEventToDocument(e, { storedAt: new Date() })));
        await writer.recordListing({ tokens: events });
      }),
    );
  }
  // A restarted processor remembers nothing: it finds the first free slot of a busy minute.
  const late = batch([2]);
  stored.push(...late);
  const fresh = new RawEventRepository(mongo);
  await fresh.insertTokenEvents(late.map((e) => tokenEventToDocument(e, { storedAt: new Date() })));
  await fresh.recordListing({ tokens: late });

  const slots = (m: number) => existingSlots((n) => segmentId('tokens', H0 + m * MINUTE, n), 64);
  const dense = (n: number) => Array.from({ length: n }, (_, i) => i);
  expect(await slots(1)).toEqual(dense(20));
  expect(await slots(2)).toEqual(dense(21));
  expect(await slots(3)).toEqual(dense(20));
  expect(await slots(59)).toEqual(dense(5));
  expect(await slots(4)).toEqual([]);
  // Announcements: dense too, and together they name exactly the minutes with data.
  const announced = await existingSlots((n) => announcementId('tokens', H0, n), 64);
  expect(announced).toEqual(dense(announced.length));
  const minutes = new Set<number>();
  for (const doc of await mongo.findByIds<{ _id: string; m: { buffer: Uint8Array } }>(
    RAW_TIME_DIRECTORY_COLLECTION,
    announced.map((n) => announcementId('tokens', H0, n)),
  )) {
    for (const m of doc.m.buffer) minutes.add(m);
  }
  expect([...minutes].sort((a, b) => a - b)).toEqual([1, 2, 3, 59]);

  const reader = new RawEventReader(mongo, new TimeDirectoryListing(mongo));
  const listed: string[] = [];
  let after: { timeMs: number; id: string } | undefined;
  for (;;) {
    const page = await reader.tokenPage({
      fromMs: H0,
      toMs: H0 + HOUR,
      equals: {},
      limit: 17,
      ...(after ? { after } : {}),
    });
    listed.push(...page.map((d) => d._id));
    const last = page[page.length - 1];
    if (page.length < 17 || last === undefined) break;
    after = { timeMs: last.time.getTime(), id: last._id };
  }
  const want = [...stored]
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.eventId < b.eventId ? -1 : 1))
    .map((e) => e.eventId);
  expect(listed).toEqual(want);
});
