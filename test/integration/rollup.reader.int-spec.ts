// The query API's RollupReader and the processor's series registry against the real
// MongoDB-protocol server: both read methods (indexed range queries in the mongodb dialect, point
// reads by `_id` in the ferretdb one, each forced through STORAGE_DIALECT on the same server)
// return exactly the rollups the processor wrote, filtered by series, resolution and range;
// the registry lists each series with its hours and keeps each GPU's newest sample. The data is
// written in the mongodb dialect (compare-and-set, large update commands).
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import {
  MongoConnection,
  type RollupReadMethod,
  STORAGE_DIALECT_NAMES,
  type StorageDialectName,
} from '@tokenmeter/storage';
import { RollupRepository } from '../../apps/processor/src/storage/rollup.repository';
import { SeriesRegistryRepository } from '../../apps/processor/src/storage/series-registry.repository';
import { QueryApiConfig } from '../../apps/query-api/src/config';
import { RollupReader } from '../../apps/query-api/src/storage/rollup.reader';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';

const { mongoUrl } = serverEnv();
const dbName = `tm_int_rollup_reader_${runId()}`;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Math.floor((Date.now() - 5 * HOUR) / HOUR) * HOUR;

const connections = {} as Record<StorageDialectName, MongoConnection>;
const readers = {} as Record<RollupReadMethod, RollupReader>;

const tokens: TokenUsageEvent[] = [];
for (let i = 0; i < 240; i += 1) {
  tokens.push(
    buildTokenUsageEvent({
      tenant: ['a', 'b'][i % 2] as string,
      model: ['m1', 'm2', 'm3'][i % 3] as string,
      node: 'n1',
      time: new Date(T0 + 30 * MINUTE + i * 37_000).toISOString(),
    }),
  );
}
const gpus: GpuSample[] = [0, 1].flatMap((gpuIndex) =>
  Array.from({ length: 90 }, (_, i) =>
    buildGpuSample({ node: 'n1', gpuIndex, time: new Date(T0 + i * 2 * MINUTE + 5_000).toISOString() }),
  ),
);

beforeAll(async () => {
  for (const dialect of STORAGE_DIALECT_NAMES) {
    const config = QueryApiConfig.fromEnv({ MONGO_URL: mongoUrl, MONGO_DB: dbName, STORAGE_DIALECT: dialect });
    const connection = await MongoConnection.open(config.mongo);
    connections[dialect] = connection;
    readers[connection.dialect.rollupReads] = new RollupReader(connection);
  }
  expect([connections.mongodb.dialect.rollupReads, connections.ferretdb.dialect.rollupReads]).toEqual([
    'range',
    'point',
  ]);
  const connection = connections.mongodb;
  const rollups = new RollupRepository(connection);
  await rollups.onModuleInit();
  const registry = new SeriesRegistryRepository(connection);
  // In two batches, the GPU batches in reverse time order: the newer sample is stored first.
  await registry.recordTokens(tokens.slice(0, 120));
  await registry.recordTokens(tokens.slice(120));
  await rollups.applyTokens(
    0,
    tokens.length - 1,
    tokens.map((event, offset) => ({ offset, event })),
  );
  const [first, second] = [
    gpus.filter((g) => Date.parse(g.time) >= T0 + 90 * MINUTE),
    gpus.filter((g) => Date.parse(g.time) < T0 + 90 * MINUTE),
  ];
  await registry.recordGpu(first);
  await registry.recordGpu(second);
  await rollups.applyGpu(
    0,
    gpus.length - 1,
    gpus.map((event, offset) => ({ offset, event })),
  );
});

afterAll(async () => {
  for (const connection of Object.values(connections)) await connection.close();
  await dropDatabase(mongoUrl, dbName);
});

const ids = (docs: { _id: string }[]) => docs.map((d) => d._id).sort();

describe('series registry', () => {
  it('lists each token series once with the hours it has data, filtered and scoped', async () => {
    const reader = readers.point;
    const all = await reader.tokenSeries({}, T0, T0 + 6 * HOUR);
    expect(all.map((s) => `${s.tenant}/${s.model}/${s.node}`).sort()).toEqual([
      'a/m1/n1',
      'a/m2/n1',
      'a/m3/n1',
      'b/m1/n1',
      'b/m2/n1',
      'b/m3/n1',
    ]);
    const lastMs = Date.parse(tokens[tokens.length - 1]?.time ?? '');
    for (const s of all) {
      expect(s.firstHour.getTime()).toBe(T0);
      expect(s.lastHour.getTime()).toBe(Math.floor(lastMs / HOUR) * HOUR);
    }
    expect(
      (await reader.tokenSeries({ model: 'm2', tenantIn: ['b'] }, T0, T0 + 6 * HOUR)).map((s) => s.tenant),
    ).toEqual(['b']);
    // Outside the hours with data: nothing.
    expect(await reader.tokenSeries({}, T0 - 2 * HOUR, T0)).toEqual([]);
  });

  it('keeps the newest sample of each GPU even when an older one is stored later', async () => {
    const inventory = await readers.point.gpuSeries({});
    expect(inventory.map((g) => g.gpuIndex).sort()).toEqual([0, 1]);
    for (const g of inventory) {
      const newest = gpus.filter((s) => s.gpuIndex === g.gpuIndex).at(-1) as GpuSample;
      expect(g.lastSeen.toISOString()).toBe(newest.time);
      expect(g.latest?.time).toBe(newest.time);
      expect(g.latest?.eventId).toBe(newest.eventId);
    }
  });
});

describe.each(['point', 'range'] as const)('RollupReader (%s reads)', (strategy) => {
  it('returns exactly the rollups of the listed series, resolution and range', async () => {
    const reader = readers[strategy];
    const series = await reader.tokenSeries({ tenant: 'a' }, T0, T0 + 6 * HOUR);
    const from = T0 + 45 * MINUTE;
    const to = T0 + 2 * HOUR + 10 * MINUTE;
    const minute = await reader.tokenRollups(series, '1m', from, to);
    const expectedMinutes = new Set(
      tokens
        .filter((e) => e.tenant === 'a' && Date.parse(e.time) >= from && Date.parse(e.time) < to)
        .map((e) =>
          JSON.stringify(['t', '1m', e.tenant, e.model, e.node, Math.floor(Date.parse(e.time) / MINUTE) * MINUTE]),
        ),
    );
    expect(ids(minute)).toEqual([...expectedMinutes].sort());
    expect(minute.every((d) => !('wm' in d))).toBe(true);
    const requests = minute.reduce((sum, d) => sum + Number(d.requests), 0);
    expect(requests).toBe(
      tokens.filter((e) => e.tenant === 'a' && Date.parse(e.time) >= from && Date.parse(e.time) < to).length,
    );

    const hours = await reader.tokenRollups(series, '1h', T0, T0 + 6 * HOUR);
    expect(hours.reduce((sum, d) => sum + Number(d.requests), 0)).toBe(tokens.filter((e) => e.tenant === 'a').length);

    const gpuSeries = await reader.gpuSeries({ gpuIndex: 1 }, T0, T0 + 6 * HOUR);
    const gpuDocs = await reader.gpuRollups(gpuSeries, '1m', T0, T0 + HOUR);
    expect(gpuDocs.length).toBe(30);
    expect(gpuDocs.every((d) => d.gpuIndex === 1 && d.resolution === '1m')).toBe(true);
  });

  it('agrees with the other strategy', async () => {
    const other = readers[strategy === 'point' ? 'range' : 'point'];
    const series = await readers[strategy].tokenSeries({}, T0, T0 + 6 * HOUR);
    for (const resolution of ['1m', '1h'] as const) {
      const mine = await readers[strategy].tokenRollups(series, resolution, T0, T0 + 6 * HOUR);
      const theirs = await other.tokenRollups(series, resolution, T0, T0 + 6 * HOUR);
      expect(ids(mine)).toEqual(ids(theirs));
      expect(mine.length).toBeGreaterThan(0);
    }
  });
});
