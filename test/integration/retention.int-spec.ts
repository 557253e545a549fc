// Retention on the real database (no TTL indexes): each collection loses exactly what is
// older than its own retention, and a second run deletes nothing more.
import { MongoConnection, RAW_COLLECTIONS, ROLLUP_COLLECTIONS } from '@tokenmeter/storage';
import { FixedClock } from '@tokenmeter/telemetry/testing';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';
import { wireProcessor } from '../support/processor-wiring';

const { kafkaBrokers, mongoUrl } = serverEnv();
const dbName = `tm_int_retention_${runId()}`;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');

let mongo: MongoConnection;

beforeAll(async () => {
  mongo = await MongoConnection.open({ url: mongoUrl, dbName, serverSelectionTimeoutMs: 5_000 });
});

afterAll(async () => {
  await mongo?.close();
  await dropDatabase(mongoUrl, dbName);
});

it('deletes raw events after 7 days, 1m rollups after 30, 1h and 1d rollups after 400 (by bucket document end)', async () => {
  const ages = [1, 6, 8, 29, 31, 399, 401];
  const at = (days: number) => new Date(NOW - days * DAY);
  for (const collection of Object.values(RAW_COLLECTIONS)) {
    await mongo
      .collection<{ _id: string; time: Date }>(collection)
      .insertMany(ages.map((d) => ({ _id: `raw-${d}`, time: at(d) })));
  }
  for (const collection of Object.values(ROLLUP_COLLECTIONS)) {
    await mongo
      .collection<{ _id: string; resolution: string; start: Date; end: Date }>(collection)
      .insertMany(
        ['1m', '1h', '1d'].flatMap((resolution) =>
          ages.map((d) => ({ _id: `${resolution}-${d}`, resolution, start: at(d + 1), end: at(d) })),
        ),
      );
  }
  const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: kafkaBrokers, MONGO_URL: mongoUrl, MONGO_DB: dbName });
  const wiring = await wireProcessor(config, mongo, { clock: new FixedClock(NOW), init: 'none' });
  const forget = jest.spyOn(wiring.rollups, 'forgetWatermarks');
  const service = wiring.retention;

  const deleted = await service.runOnce();
  // Deleted rollup documents must not keep remembered watermarks.
  expect(forget).toHaveBeenCalledTimes(1);
  expect(deleted).toEqual({
    token_events: 5,
    gpu_samples: 5,
    token_intervals: 5,
    raw_time_directory: 0,
    token_rollup_buckets: 3 + 1 + 1,
    gpu_rollup_buckets: 3 + 1 + 1,
  });
  for (const collection of Object.values(RAW_COLLECTIONS)) {
    expect((await mongo.collection(collection).find({}).toArray()).map((d) => d._id).sort()).toEqual([
      'raw-1',
      'raw-6',
    ]);
  }
  for (const collection of Object.values(ROLLUP_COLLECTIONS)) {
    const left = (await mongo.collection(collection).find({}).toArray()).map((d) => d._id).sort();
    expect(left).toEqual([
      ...['1d-1', '1d-29', '1d-31', '1d-399', '1d-6', '1d-8'],
      ...['1h-1', '1h-29', '1h-31', '1h-399', '1h-6', '1h-8'],
      ...['1m-1', '1m-29', '1m-6', '1m-8'],
    ]);
  }
  expect(await service.runOnce()).toEqual({
    token_events: 0,
    gpu_samples: 0,
    token_intervals: 0,
    raw_time_directory: 0,
    token_rollup_buckets: 0,
    gpu_rollup_buckets: 0,
  });
  expect(forget).toHaveBeenCalledTimes(1);
});
