// RawEventRepository against the real MongoDB-protocol server (FerretDB locally), in both storage
// dialects (forced on the connection): indexes, idempotent bulk inserts keyed by eventId, and the
// stored shape (fields, or packed on the point-read dialect) round-tripping to the contract.
import { randomUUID } from 'node:crypto';
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import {
  gpuDocumentToSample,
  type GpuSampleDocument,
  gpuSampleToDocument,
  MongoConnection,
  RAW_COLLECTIONS,
  RAW_INDEXES,
  rawIndexesFor,
  readRawDocument,
  type StorageDialectName,
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
const run = runId();

/** The fields of a listIndexes entry this test looks at. */
interface IndexInfo {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
}

const storedAt = new Date();
const tokenDoc = (event: TokenUsageEvent): TokenEventDocument => tokenEventToDocument(event, { storedAt });
const gpuDoc = (sample: GpuSample): GpuSampleDocument => gpuSampleToDocument(sample, { storedAt });
const uniqueToken = (overrides: Partial<TokenUsageEvent> = {}): TokenUsageEvent =>
  buildTokenUsageEvent({ eventId: randomUUID(), ...overrides });

describe.each<StorageDialectName>(['ferretdb', 'mongodb'])(
  'RawEventRepository, %s dialect (real MongoDB protocol server)',
  (dialect) => {
    const dbName = `tm_int_repo_${dialect}_${run}`;
    const config = ProcessorConfig.fromEnv({ KAFKA_BROKERS: kafkaBrokers, MONGO_URL: mongoUrl, MONGO_DB: dbName });
    let connection: MongoConnection;
    let repository: RawEventRepository;

    /** The stored documents of a raw collection that `keep` accepts, every field a field again. */
    const stored = async <T extends { _id: string; time: Date }>(
      kind: keyof typeof RAW_COLLECTIONS,
      keep: (doc: T) => boolean,
    ): Promise<T[]> =>
      (await connection.collection<T>(RAW_COLLECTIONS[kind]).find({}).toArray())
        .map((doc) => readRawDocument(doc as T))
        .filter(keep);

    /** The collection's indexes; none when it does not exist yet (FerretDB and MongoDB: code 26). */
    const indexesOf = async (kind: keyof typeof RAW_COLLECTIONS): Promise<IndexInfo[]> =>
      (await connection
        .collection(RAW_COLLECTIONS[kind])
        .listIndexes()
        .toArray()
        .catch((error: unknown) => {
          if ((error as { code?: unknown }).code === 26) return [];
          throw error;
        })) as IndexInfo[];

    beforeAll(async () => {
      connection = await MongoConnection.open({ ...config.mongo, dialect });
      repository = new RawEventRepository(connection);
      await repository.onModuleInit();
    });

    afterAll(async () => {
      await connection?.close();
      await dropDatabase(mongoUrl, dbName);
    });

    it('creates every index its listings read, and creating them again is a no-op', async () => {
      await repository.onModuleInit();
      for (const kind of ['tokens', 'gpu'] as const) {
        const indexes = await indexesOf(kind);
        const byName = new Map(indexes.map((i) => [i.name, i]));
        const declared = rawIndexesFor(kind, connection.dialect.rawListing);
        expect(declared).toHaveLength(dialect === 'mongodb' ? RAW_INDEXES[kind].length : 0);
        for (const wanted of declared) {
          const actual = byName.get(wanted.name);
          expect({ kind, name: wanted.name, keys: actual?.key }).toEqual({
            kind,
            name: wanted.name,
            keys: wanted.keys,
          });
          expect(Boolean(actual?.unique)).toBe(wanted.unique ?? false);
        }
        // _id plus the declared ones: nothing else, and no duplicates from the second run (with
        // nothing declared, the collection only exists once something is stored in it).
        expect(indexes).toHaveLength(declared.length === 0 && indexes.length === 0 ? 0 : declared.length + 1);
      }
    });

    if (dialect === 'ferretdb') {
      it('drops the listing indexes an earlier version created, which nothing reads on this dialect', async () => {
        const collection = connection.collection(RAW_COLLECTIONS.tokens);
        for (const index of RAW_INDEXES.tokens) await collection.createIndex(index.keys, { name: index.name });
        expect(await collection.listIndexes().toArray()).toHaveLength(RAW_INDEXES.tokens.length + 1);

        await repository.onModuleInit();

        const names = ((await collection.listIndexes().toArray()) as IndexInfo[]).map((i) => i.name);
        expect(names).toEqual(['_id_']);
      });

      it('packs every field but _id, time and src into one binary field', async () => {
        const event = uniqueToken({ tenant: 'packed' });
        await repository.insertTokenEvents([tokenEventToDocument(event, { storedAt, src: { p: 2, o: 41 } })]);
        const raw = await connection
          .collection<{ _id: string; src?: unknown }>(RAW_COLLECTIONS.tokens)
          .findOne({ _id: event.eventId });
        expect(Object.keys(raw ?? {}).sort()).toEqual(['_id', 'b', 'src', 'time']);
        expect(raw?.src).toEqual({ p: 2, o: 41 });
        expect(tokenDocumentToEvent(readRawDocument(raw as unknown as TokenEventDocument))).toStrictEqual(event);
      });
    }

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

      const ids = (await stored<TokenEventDocument>('tokens', (d) => d.tenant === 'replay')).map((d) => d._id);
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
      await expect(repository.insertGpuSamples([gpuDoc(sample)])).resolves.toMatchObject({
        inserted: 1,
        duplicates: 0,
      });
      await expect(repository.insertGpuSamples([gpuDoc(sample)])).resolves.toMatchObject({
        inserted: 0,
        duplicates: 1,
      });
    });

    it('stores an eventId that appears twice in one batch once', async () => {
      const twice = uniqueToken({ tenant: 'twice', inputTokens: 1 });
      const other = uniqueToken({ tenant: 'twice' });
      // The second copy differs in a field: the first write wins, the second is a duplicate.
      const batch = [tokenDoc(twice), tokenDoc(other), tokenDoc({ ...twice, inputTokens: 2 })];
      await expect(repository.insertTokenEvents(batch)).resolves.toMatchObject({ inserted: 2, duplicates: 1 });

      const kept = await stored<TokenEventDocument>('tokens', (d) => d._id === twice.eventId);
      expect(kept).toHaveLength(1);
      expect(kept[0]?.inputTokens).toBe(1);
      expect(await stored<TokenEventDocument>('tokens', (d) => d.tenant === 'twice')).toHaveLength(2);

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

      const ids = new Set(tokenEvents.map((e) => e.eventId));
      const storedTokens = await stored<TokenEventDocument>('tokens', (d) => ids.has(d._id));
      expect(storedTokens).toHaveLength(tokenEvents.length);
      for (const event of tokenEvents) {
        const doc = storedTokens.find((d) => d._id === event.eventId);
        expect(doc?.time).toBeInstanceOf(Date);
        expect(doc?.ingestedAt?.toISOString()).toBe(ingestedAt.toISOString());
        expect(doc?.storedAt.toISOString()).toBe(storedAt.toISOString());
        // toStrictEqual: no extra keys, and absent optionals stay absent (not null).
        expect(doc && tokenDocumentToEvent(doc)).toStrictEqual(event);
      }

      const storedSamples = await stored<GpuSampleDocument>('gpu', (d) => d.node === 'roundtrip-node');
      expect(storedSamples).toHaveLength(samples.length);
      for (const sample of samples) {
        const doc = storedSamples.find((d) => d._id === sample.eventId);
        expect(doc?.ingestedAt).toBeUndefined();
        expect(doc && gpuDocumentToSample(doc)).toStrictEqual(sample);
      }
    });
  },
);
