// RawEventRepository against the real MongoDB-protocol server (FerretDB locally): indexes,
// idempotent bulk inserts keyed by eventId, and the stored shape round-tripping to the contract.
import { randomUUID } from 'node:crypto';
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import {
  gpuDocumentToSample,
  type GpuSampleDocument,
  gpuSampleToDocument,
  MongoConnection,
  RAW_COLLECTIONS,
  RAW_INDEXES,
  tokenDocumentToEvent,
  type TokenEventDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';

const { kafkaBrokers, mongoUrl } = serverEnv();
const dbName = `tm_int_repo_${runId()}`;
const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: kafkaBrokers, MONGO_URL: mongoUrl, MONGO_DB: dbName });

/** The fields of a listIndexes entry this test looks at. */
interface IndexInfo {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
}

let connection: MongoConnection;
let repository: RawEventRepository;

const storedAt = new Date();
const tokenDoc = (event: TokenUsageEvent): TokenEventDocument => tokenEventToDocument(event, { storedAt });
const gpuDoc = (sample: GpuSample): GpuSampleDocument => gpuSampleToDocument(sample, { storedAt });
const uniqueToken = (overrides: Partial<TokenUsageEvent> = {}): TokenUsageEvent =>
  buildTokenUsageEvent({ eventId: randomUUID(), ...overrides });

beforeAll(async () => {
  connection = await MongoConnection.open(config.mongo);
  repository = new RawEventRepository(connection);
  await repository.onModuleInit();
});

afterAll(async () => {
  await connection?.close();
  await dropDatabase(mongoUrl, dbName);
});

describe('RawEventRepository (real MongoDB protocol server)', () => {
  it('creates every index declared in RAW_INDEXES, and creating them again is a no-op', async () => {
    await repository.onModuleInit();
    for (const kind of ['tokens', 'gpu'] as const) {
      const indexes = (await connection.collection(RAW_COLLECTIONS[kind]).listIndexes().toArray()) as IndexInfo[];
      const byName = new Map(indexes.map((i) => [i.name, i]));
      for (const wanted of RAW_INDEXES[kind]) {
        const actual = byName.get(wanted.name);
        expect({ kind, name: wanted.name, keys: actual?.key }).toEqual({ kind, name: wanted.name, keys: wanted.keys });
        expect(Boolean(actual?.unique)).toBe(wanted.unique ?? false);
      }
      // _id plus the declared ones: nothing else, and no duplicates from the second run.
      expect(indexes).toHaveLength(RAW_INDEXES[kind].length + 1);
    }
  });

  it('inserts only the new events of a replayed batch and counts the rest as duplicates', async () => {
    const first = Array.from({ length: 100 }, () => uniqueToken({ tenant: 'replay' }));
    const fresh = Array.from({ length: 50 }, () => uniqueToken({ tenant: 'replay' }));

    await expect(repository.insertTokenEvents(first.map(tokenDoc))).resolves.toMatchObject({
      inserted: 100,
      duplicates: 0,
    });
    // The replay interleaves old and new events: an unordered insert must not stop at the first duplicate.
    const replay = first.flatMap((event, i) => (i < 50 ? [event, fresh[i] as TokenUsageEvent] : [event]));
    await expect(repository.insertTokenEvents(replay.map(tokenDoc))).resolves.toEqual({
      inserted: 50,
      duplicates: 100,
      // Which ones: the old events, at the even positions of the interleaved half and then all.
      duplicateIndexes: [
        ...Array.from({ length: 50 }, (_, i) => 2 * i),
        ...Array.from({ length: 50 }, (_, i) => 100 + i),
      ],
    });

    const tokens = connection.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens);
    const ids = (await tokens.find({ tenant: 'replay' }).project<{ _id: string }>({ _id: 1 }).toArray()).map(
      (d) => d._id,
    );
    expect(ids.sort()).toEqual([...first, ...fresh].map((e) => e.eventId).sort());
  });

  it('reports a lone replayed event as a duplicate instead of failing', async () => {
    const event = uniqueToken({ tenant: 'lone' });
    await expect(repository.insertTokenEvents([tokenDoc(event)])).resolves.toMatchObject({
      inserted: 1,
      duplicates: 0,
    });
    await expect(repository.insertTokenEvents([tokenDoc(event)])).resolves.toMatchObject({
      inserted: 0,
      duplicates: 1,
    });
    const sample = buildGpuSample({ eventId: randomUUID(), node: 'lone-node' });
    await expect(repository.insertGpuSamples([gpuDoc(sample)])).resolves.toMatchObject({ inserted: 1, duplicates: 0 });
    await expect(repository.insertGpuSamples([gpuDoc(sample)])).resolves.toMatchObject({ inserted: 0, duplicates: 1 });
  });

  it('stores an eventId that appears twice in one batch once', async () => {
    const twice = uniqueToken({ tenant: 'twice', inputTokens: 1 });
    const other = uniqueToken({ tenant: 'twice' });
    // The second copy differs in a field: the first write wins, the second is a duplicate.
    const batch = [tokenDoc(twice), tokenDoc(other), tokenDoc({ ...twice, inputTokens: 2 })];
    await expect(repository.insertTokenEvents(batch)).resolves.toMatchObject({ inserted: 2, duplicates: 1 });

    const tokens = connection.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens);
    const stored = await tokens.find({ _id: twice.eventId }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.inputTokens).toBe(1);
    expect(await tokens.countDocuments({ tenant: 'twice' })).toBe(2);

    const sample = buildGpuSample({ eventId: randomUUID(), node: 'twice-node' });
    await expect(repository.insertGpuSamples([gpuDoc(sample), gpuDoc(sample)])).resolves.toEqual({
      inserted: 1,
      duplicates: 1,
      duplicateIndexes: [1],
    });
  });

  it('treats an empty batch as nothing to do', async () => {
    await expect(repository.insertTokenEvents([])).resolves.toMatchObject({ inserted: 0, duplicates: 0 });
    await expect(repository.insertGpuSamples([])).resolves.toMatchObject({ inserted: 0, duplicates: 0 });
  });

  it('round-trips documents to the original events, optional fields and all', async () => {
    const ingestedAt = new Date(Date.now() - 500);
    const tokenEvents: TokenUsageEvent[] = [
      uniqueToken({ tenant: 'roundtrip' }),
      uniqueToken({
        tenant: 'roundtrip',
        cachedInputTokens: 64,
        status: 'error',
        finishReason: 'length',
        attributes: { region: 'eu-west-1', route: 'chat' },
      }),
      // Optional fields absent.
      (({ gpuIndex: _g, ttftMs: _t, finishReason: _f, ...rest }) => rest)(
        uniqueToken({ tenant: 'roundtrip', inputTokens: 0, outputTokens: 0 }),
      ),
    ];
    const samples: GpuSample[] = [
      buildGpuSample({ eventId: randomUUID(), node: 'roundtrip-node', gpuIndex: 3, tenant: 'acme' }),
      (({ gpuUuid: _u, gpuModel: _m, energyJ: _e, smClockMHz: _s, ...rest }) => rest)(
        buildGpuSample({ eventId: randomUUID(), node: 'roundtrip-node' }),
      ),
    ];
    await repository.insertTokenEvents(tokenEvents.map((e) => tokenEventToDocument(e, { ingestedAt, storedAt })));
    await repository.insertGpuSamples(samples.map(gpuDoc));

    const storedTokens = await connection
      .collection<TokenEventDocument>(RAW_COLLECTIONS.tokens)
      .find({ _id: { $in: tokenEvents.map((e) => e.eventId) } })
      .toArray();
    expect(storedTokens).toHaveLength(tokenEvents.length);
    for (const event of tokenEvents) {
      const doc = storedTokens.find((d) => d._id === event.eventId);
      expect(doc?.time).toBeInstanceOf(Date);
      expect(doc?.ingestedAt?.toISOString()).toBe(ingestedAt.toISOString());
      expect(doc?.storedAt.toISOString()).toBe(storedAt.toISOString());
      // toStrictEqual: no extra keys, and absent optionals stay absent (not null).
      expect(doc && tokenDocumentToEvent(doc)).toStrictEqual(event);
    }

    const storedSamples = await connection
      .collection<GpuSampleDocument>(RAW_COLLECTIONS.gpu)
      .find({ node: 'roundtrip-node' })
      .toArray();
    expect(storedSamples).toHaveLength(samples.length);
    for (const sample of samples) {
      const doc = storedSamples.find((d) => d._id === sample.eventId);
      expect(doc?.ingestedAt).toBeUndefined();
      expect(doc && gpuDocumentToSample(doc)).toStrictEqual(sample);
    }
  });
});
