// `npm run rollups -- rebuild` (RollupRebuild) on the real database, in both storage dialects
// forced on the local server: the point-read one (raw events found through the time directory,
// writes by `_id`, 10 per command) and the MongoDB one (range reads of `time_id`, compare-and-set
// writes). Raw events, the directory, the registry and the rollups are written by the processor's
// own repositories, batch by batch with their Kafka partition and offsets, as BatchProcessor does.
// The processor groups' committed offsets come from a fake CommittedOffsets (every stored batch
// committed, unless a test leaves one uncommitted as a killed processor would).
import type { GpuSample, TokenUsageEvent, TokenUsageInterval } from '@tokenmeter/contracts';
import { buildGpuSample, buildTokenUsageEvent, buildTokenUsageInterval } from '@tokenmeter/contracts/testing/factories';
import {
  binaryBytes,
  containerStartMs,
  decodeSlots,
  encodeSlots,
  gpuSampleToDocument,
  MongoConnection,
  RAW_COLLECTIONS,
  ROLLUP_COLLECTIONS,
  type RollupKind,
  SERIES_COLLECTIONS,
  SLOT_SCHEMAS,
  STORAGE_DIALECT_NAMES,
  type StorageDialectName,
  tokenEventToDocument,
  tokenIntervalToDocument,
  tokenRollupId,
} from '@tokenmeter/storage';
import {
  type CommittedOffsets,
  type GroupCommits,
  KafkaCommittedOffsets,
} from '../../apps/processor/src/rollups/committed-offsets';
import {
  type DayReport,
  DAY_MS,
  RollupRebuild,
  UncommittedBatchError,
} from '../../apps/processor/src/rollups/rollup-rebuild';
import { rollupsConfig } from '../../apps/processor/src/rollups/rollups-cli';
import { RawEventRepository } from '../../apps/processor/src/storage/raw-event.repository';
import { type OwnedEvent, RollupRepository } from '../../apps/processor/src/storage/rollup.repository';
import { SeriesRegistryRepository } from '../../apps/processor/src/storage/series-registry.repository';
import { runId, serverEnv } from '../support/env';
import { createTopic, deleteTopicsAndGroups, testKafka } from '../support/kafka-test-utils';
import { dropDatabase } from '../support/mongo-test-utils';
import { checkRollups, storedRollups } from '../support/rollup-checker';

const { kafkaBrokers, mongoUrl } = serverEnv();
const id = runId();
/** Three whole UTC days well inside the raw retention: D (rebuilt), D + 1 (rebuilt), D + 2 (outside). */
const D = Math.floor(Date.now() / DAY_MS) * DAY_MS - 4 * DAY_MS;
const RANGE = { fromMs: D + 3 * 3_600_000 + 17_000, toMs: D + DAY_MS + 5 * 3_600_000 }; // aligns to [D, D + 2d)

interface Batch {
  kind: RollupKind;
  partition: number;
  lastOffset: number;
  owned: OwnedEvent<TokenUsageEvent | TokenUsageInterval | GpuSample>[];
}

/** The processor's repositories on one connection, and the batches they stored. */
class Store {
  readonly raw: RawEventRepository;
  readonly registry: SeriesRegistryRepository;
  readonly rollups: RollupRepository;
  readonly batches: Batch[] = [];
  private readonly nextOffset = new Map<number, number>();

  constructor(readonly mongo: MongoConnection) {
    this.raw = new RawEventRepository(mongo);
    this.registry = new SeriesRegistryRepository(mongo);
    this.rollups = new RollupRepository(mongo);
  }

  async init(): Promise<void> {
    await this.raw.onModuleInit();
    await this.rollups.onModuleInit();
  }

  /** The processor groups' commits if every batch stored so far was committed (gaps included). */
  committedOffsets(): FakeCommits {
    const commits = new FakeCommits();
    for (const [key, next] of this.nextOffset) {
      if (key >= 100) commits.offsets.gpu.set(key - 100, next);
      else commits.offsets.tokens.set(key, next);
    }
    return commits;
  }

  /** Offsets for a batch of n messages of a tokens partition (gpu: 100 + partition). */
  offsets(partition: number, n: number): number[] {
    const first = this.nextOffset.get(partition) ?? 0;
    this.nextOffset.set(partition, first + n + 3); // gaps, as other messages (dead letters) leave
    return Array.from({ length: n }, (_, i) => first + i);
  }

  /** One tokens-topic batch of a partition: raw insert, listing, registry, rollups (all owned). */
  async tokens(partition: number, events: TokenUsageEvent[], intervals: TokenUsageInterval[] = []): Promise<void> {
    const offsets = this.offsets(partition, events.length + intervals.length);
    const storedAt = new Date();
    const owned = [...events, ...intervals].map((event, i) => ({ offset: offsets[i] as number, event }));
    await this.raw.insertTokenEvents(
      events.map((e, i) => tokenEventToDocument(e, { storedAt, src: { p: partition, o: offsets[i] as number } })),
    );
    await this.raw.insertTokenIntervals(
      intervals.map((e, i) =>
        tokenIntervalToDocument(e, { storedAt, src: { p: partition, o: offsets[events.length + i] as number } }),
      ),
    );
    await this.raw.recordListing({ tokens: events, tokenIntervals: intervals });
    await this.registry.recordTokens([...events, ...intervals]);
    const lastOffset = offsets[offsets.length - 1] as number;
    await this.rollups.applyTokens(partition, lastOffset, owned);
    this.batches.push({ kind: 'tokens', partition, lastOffset, owned });
  }

  async gpu(partition: number, samples: GpuSample[]): Promise<void> {
    const offsets = this.offsets(100 + partition, samples.length);
    const storedAt = new Date();
    await this.raw.insertGpuSamples(
      samples.map((s, i) => gpuSampleToDocument(s, { storedAt, src: { p: partition, o: offsets[i] as number } })),
    );
    await this.raw.recordListing({ gpu: samples });
    await this.registry.recordGpu(samples);
    const lastOffset = offsets[offsets.length - 1] as number;
    const owned = samples.map((event, i) => ({ offset: offsets[i] as number, event }));
    await this.rollups.applyGpu(partition, lastOffset, owned);
    this.batches.push({ kind: 'gpu', partition, lastOffset, owned });
  }
}

/** Committed offsets as a test sets them: partition → next offset to consume, per topic. */
class FakeCommits implements CommittedOffsets {
  readonly offsets = { tokens: new Map<number, number>(), gpu: new Map<number, number>() };

  fetch(kind: RollupKind): Promise<GroupCommits> {
    return Promise.resolve({ topic: `topic.${kind}`, groupId: `group.${kind}`, offsets: this.offsets[kind] });
  }
}

/** Token events of tenant-<partition> (its series live on that partition), spread over [fromMs, fromMs + spanMs). */
function tokenEvents(partition: number, seed: string, n: number, fromMs: number, spanMs: number): TokenUsageEvent[] {
  return Array.from({ length: n }, (_, i) =>
    buildTokenUsageEvent({
      eventId: `tok-${seed}-${i}`,
      tenant: `tenant-${partition}`,
      model: i % 2 === 0 ? 'llama' : 'qwen',
      node: 'node-a',
      time: new Date(fromMs + Math.floor((i * spanMs) / n) + (i % 7)).toISOString(),
      inputTokens: 1_000 + i,
      outputTokens: i % 97,
      ttftMs: i % 5 === 0 ? undefined : 1 + ((i * 37) % 900) / 3,
      durationMs: 1_000 + ((i * 53) % 20_000) / 7,
      status: i % 11 === 0 ? 'error' : 'ok',
    }),
  );
}

function gpuSamples(gpuIndex: number, seed: string, n: number, fromMs: number, spanMs: number): GpuSample[] {
  return Array.from({ length: n }, (_, i) =>
    buildGpuSample({
      eventId: `gpu-${seed}-${i}`,
      node: 'node-a',
      gpuIndex,
      time: new Date(fromMs + Math.floor((i * spanMs) / n)).toISOString(),
      utilizationPct: i % 9 === 0 ? undefined : (i * 13) % 100,
      powerW: 100 + (i % 300),
      energyJ: i % 4 === 0 ? undefined : 1_000_000 + i * 10,
    }),
  );
}

interface BucketSnapshot {
  _id: string;
  v: number;
  wm: Record<string, number>;
  s: number[];
  rest: Record<string, unknown>;
}

async function snapshot(mongo: MongoConnection, kind: RollupKind): Promise<Map<string, BucketSnapshot>> {
  const docs = await mongo.collection(ROLLUP_COLLECTIONS[kind]).find({}).toArray();
  return new Map(
    docs.map((d) => {
      const { _id, v, wm, s, ...rest } = d;
      return [
        _id as unknown as string,
        {
          _id: _id as unknown as string,
          v: v as number,
          wm: (wm ?? {}) as Record<string, number>,
          s: [...binaryBytes(s)],
          rest,
        },
      ];
    }),
  );
}

async function expectExact(): Promise<void> {
  const check = await checkRollups(mongoUrl, dbName);
  expect(check.tokens.differences).toEqual([]);
  expect(check.gpu.differences).toEqual([]);
  expect(check.tokens.documentsChecked).toBeGreaterThan(0);
  expect(check.gpu.documentsChecked).toBeGreaterThan(0);
}

let dbName = '';

describe.each(STORAGE_DIALECT_NAMES)('rollup rebuild, %s dialect', (dialect: StorageDialectName) => {
  let mongo: MongoConnection;
  let store: Store;
  let rebuild: RollupRebuild;
  const days: DayReport[] = [];
  const run = (range = RANGE, dryRun = false) =>
    rebuild.rebuild(range, { kinds: ['tokens', 'gpu'], dryRun }, (d) => days.push(d));

  beforeAll(async () => {
    dbName = `tm_int_rebuild_${dialect}_${id}`;
    mongo = await MongoConnection.open({ url: mongoUrl, dbName, serverSelectionTimeoutMs: 5_000, dialect });
    store = new Store(mongo);
    await store.init();
    rebuild = new RollupRebuild(mongo);
    // Two days of data in several batches per partition; series of tenant-N on partition N.
    for (const [day, seed] of [
      [D, 'a'],
      [D + DAY_MS, 'b'],
    ] as const) {
      for (const partition of [0, 1]) {
        const events = tokenEvents(partition, `${seed}${partition}`, 120, day, DAY_MS);
        for (let i = 0; i < events.length; i += 40) await store.tokens(partition, events.slice(i, i + 40));
      }
      for (const gpuIndex of [0, 1]) {
        const samples = gpuSamples(gpuIndex, `${seed}${gpuIndex}`, 80, day, DAY_MS);
        for (let i = 0; i < samples.length; i += 40) await store.gpu(gpuIndex, samples.slice(i, i + 40));
      }
    }
    await expectExact();
  });

  afterAll(async () => {
    await mongo?.close();
    await dropDatabase(mongoUrl, dbName);
  });

  it('(a) recreates deleted rollup documents exactly, listing each day', async () => {
    for (const kind of ['tokens', 'gpu'] as const) await mongo.collection(ROLLUP_COLLECTIONS[kind]).deleteMany({});
    days.length = 0;
    const summary = await run();
    expect(summary.range).toEqual({ fromMs: D, toMs: D + 2 * DAY_MS });
    expect(summary.events).toBe(2 * (240 + 160));
    expect(days.map((d) => `${new Date(d.dayMs).toISOString().slice(0, 10)} ${d.kind} ${d.events}`)).toEqual([
      `${new Date(D).toISOString().slice(0, 10)} tokens 240`,
      `${new Date(D).toISOString().slice(0, 10)} gpu 160`,
      `${new Date(D + DAY_MS).toISOString().slice(0, 10)} tokens 240`,
      `${new Date(D + DAY_MS).toISOString().slice(0, 10)} gpu 160`,
    ]);
    await expectExact();
  });

  it('(d) leaves watermarks that make a replay of the original batches add nothing', async () => {
    const before = await snapshot(mongo, 'tokens');
    // A processor that starts afresh (no remembered documents) replays every batch with its offsets.
    const replayer = new RollupRepository(mongo);
    let documents = 0;
    for (const b of store.batches) {
      const outcome =
        b.kind === 'tokens'
          ? await replayer.applyTokens(b.partition, b.lastOffset, b.owned as OwnedEvent<TokenUsageEvent>[])
          : await replayer.applyGpu(b.partition, b.lastOffset, b.owned as OwnedEvent<GpuSample>[]);
      documents += outcome.documents;
    }
    expect(documents).toBe(0);
    expect(await snapshot(mongo, 'tokens')).toEqual(before);
    await expectExact();
    // Each document's watermark is the last offset of the partition among its raw events.
    const monthMs = containerStartMs('1d', D + DAY_MS);
    const monthDoc = before.get(tokenRollupId('1d', 'tenant-1', 'qwen', 'node-a', monthMs));
    const included = store.batches
      .filter((b) => b.kind === 'tokens' && b.partition === 1)
      .flatMap((b) => b.owned)
      .filter(
        (o) =>
          'model' in o.event &&
          o.event.model === 'qwen' &&
          containerStartMs('1d', Date.parse(o.event.time)) === monthMs,
      );
    expect(monthDoc?.wm).toEqual({ p1: Math.max(...included.map((o) => o.offset)) });
  });

  it('(c) is idempotent: a second rebuild leaves every document as it was', async () => {
    const before = { tokens: await snapshot(mongo, 'tokens'), gpu: await snapshot(mongo, 'gpu') };
    const summary = await run();
    expect(summary.documents).toBe(0);
    expect(summary.unchanged).toBeGreaterThan(0);
    for (const kind of ['tokens', 'gpu'] as const) {
      const after = await snapshot(mongo, kind);
      expect([...after.keys()].sort()).toEqual([...before[kind].keys()].sort());
      for (const [docId, doc] of after) expect({ ...doc, v: 0 }).toEqual({ ...before[kind].get(docId), v: 0 });
    }
  });

  it('(g) refuses, writing nothing, while a killed batch is uncommitted; exact after catching up; a replay adds nothing', async () => {
    const commits = store.committedOffsets(); // every batch so far is committed
    const withCommits = (dryRun = false) =>
      rebuild.rebuild(RANGE, { kinds: ['tokens', 'gpu'], dryRun, committed: commits }, () => undefined);
    await withCommits(); // a clean state passes the check
    await expectExact();
    const stateOf = async () => ({
      tokens: await snapshot(mongo, 'tokens'),
      gpu: await snapshot(mongo, 'gpu'),
      series: await mongo.collection(SERIES_COLLECTIONS.tokens).find({}).sort({ _id: 1 }).toArray(),
    });

    // A processor is killed in a batch of partition 0 (offsets from the committed one on): only
    // part of its raw events are stored (listed, so that both dialects' readers find them).
    const events = tokenEvents(0, `g0-${dialect}`, 12, D + 9 * 3_600_000, 3_600_000);
    const offsets = store.offsets(0, events.length);
    const committed = commits.offsets.tokens.get(0) ?? 0;
    expect(offsets[0]).toBe(committed);
    const lastOffset = offsets[offsets.length - 1] as number;
    const owned = events.map((event, i) => ({ offset: offsets[i] as number, event }));
    const storeRaw = async (upTo: number) => {
      const part = events.slice(0, upTo);
      await store.raw.insertTokenEvents(
        part.map((e, i) => tokenEventToDocument(e, { storedAt: new Date(), src: { p: 0, o: offsets[i] as number } })),
      );
      await store.raw.recordListing({ tokens: part });
    };
    await storeRaw(5);
    let before = await stateOf();
    for (const dryRun of [true, false]) {
      const refused = withCommits(dryRun);
      await expect(refused).rejects.toThrow(UncommittedBatchError);
      await expect(refused).rejects.toThrow(
        new RegExp(
          `topic\\.tokens partition 0: raw event tok-g0-${dialect}-\\d+ has src offset \\d+, at or past the committed offset ${committed} `,
        ),
      );
    }
    expect(await stateOf()).toEqual(before);

    // Another kill, later in the redelivered batch: every raw event stored, some rollup documents
    // (the llama ones) written with the batch's watermark.
    await storeRaw(events.length);
    await store.registry.recordTokens(events);
    await new RollupRepository(mongo).applyTokens(
      0,
      lastOffset,
      owned.filter((o) => o.event.model === 'llama'),
    );
    before = await stateOf();
    await expect(withCommits()).rejects.toThrow(/uncommitted batch found on topic topic\.tokens partition 0/);
    expect(await stateOf()).toEqual(before);

    // The processors catch up (a fresh one redelivers the whole batch: it owns its duplicates, the
    // written documents skip it) and are stopped with SIGTERM (the batch is committed).
    store.rollups.forgetWatermarks();
    await storeRaw(events.length);
    await store.rollups.applyTokens(0, lastOffset, owned);
    store.batches.push({ kind: 'tokens', partition: 0, lastOffset, owned });
    await expectExact();
    commits.offsets.tokens.set(0, lastOffset + 1);

    // Now the rebuild runs: from nothing (the rollups lost), it recreates them exactly.
    for (const kind of ['tokens', 'gpu'] as const) await mongo.collection(ROLLUP_COLLECTIONS[kind]).deleteMany({});
    const rebuilt = await withCommits();
    expect(rebuilt.documents).toBeGreaterThan(0);
    expect(rebuilt.withoutSource).toBe(0);
    await expectExact();

    // The batch redelivered once more (a replay from an older offset) adds nothing.
    const after = await snapshot(mongo, 'tokens');
    const outcome = await new RollupRepository(mongo).applyTokens(0, lastOffset, owned);
    expect(outcome.documents).toBe(0);
    expect(await snapshot(mongo, 'tokens')).toEqual(after);
    await expectExact();

    // A raw event stored without src (by an old version) cannot be checked: counted, not refused.
    await mongo
      .collection<{ _id: string }>(RAW_COLLECTIONS.tokens)
      .updateOne({ _id: `tok-a0-0` }, { $unset: { src: '' } });
    expect((await withCommits()).withoutSource).toBe(1);
    await expectExact();
  });

  it('(b) restores a corrupted slot inside the range and keeps every slot outside it', async () => {
    // Data outside the range (day D + 2), rolled up by the processor, in the same week and month
    // documents as the rebuilt days (unless D + 2 starts a new week or month). The processor starts
    // after the rebuilds: what it remembered of the documents is gone.
    store.rollups.forgetWatermarks();
    await store.tokens(0, tokenEvents(0, 'c0', 30, D + 2 * DAY_MS, DAY_MS));
    // Corrupt the 10:00 minute slots of tenant-0/llama on day D: one count off, one slot that has no events.
    const hourMs = D + 10 * 3_600_000;
    const bucketId = tokenRollupId('1m', 'tenant-0', 'llama', 'node-a', hourMs);
    const collection = mongo.collection<{ _id: string; s: unknown }>(ROLLUP_COLLECTIONS.tokens);
    const stored = await collection.findOne({ _id: bucketId });
    const slots = decodeSlots(SLOT_SCHEMAS.tokens, binaryBytes(stored?.s));
    const [firstIndex, first] = [...slots][0] ?? [];
    if (first === undefined || firstIndex === undefined) throw new Error('no slot to corrupt');
    first.values.requests = (first.values.requests ?? 0) + 5;
    const emptyIndex = [...Array(60).keys()].find((i) => !slots.has(i)) as number;
    slots.set(emptyIndex, { values: { requests: 9, inputTokens: 1 }, histograms: {} });
    await collection.updateOne({ _id: bucketId }, { $set: { s: encodeSlots(SLOT_SCHEMAS.tokens, slots) } });
    expect((await checkRollups(mongoUrl, dbName)).tokens.differences.length).toBeGreaterThan(0);

    // A dry run reports the work and writes nothing.
    const corrupted = await snapshot(mongo, 'tokens');
    const dry = await run(RANGE, true);
    expect(dry.documents).toBeGreaterThan(0);
    expect(await snapshot(mongo, 'tokens')).toEqual(corrupted);

    const outsideMonth = tokenRollupId('1d', 'tenant-0', 'llama', 'node-a', containerStartMs('1d', D + 2 * DAY_MS));
    const outsideHour = tokenRollupId('1m', 'tenant-0', 'llama', 'node-a', D + 2 * DAY_MS);
    await run();
    await expectExact();
    const after = await snapshot(mongo, 'tokens');
    // The hour documents of D + 2 are not touched at all.
    expect(after.get(outsideHour)).toEqual(corrupted.get(outsideHour));
    // The month document keeps its D + 2 slot exactly (rebuilt days only where they lie in it).
    const daySlot = (doc: BucketSnapshot | undefined, dayMs: number) =>
      decodeSlots(SLOT_SCHEMAS.tokens, Uint8Array.from(doc?.s ?? [])).get(
        (dayMs - containerStartMs('1d', dayMs)) / DAY_MS,
      );
    expect(daySlot(after.get(outsideMonth), D + 2 * DAY_MS)).toEqual(
      daySlot(corrupted.get(outsideMonth), D + 2 * DAY_MS),
    );
    expect(daySlot(after.get(outsideMonth), D + 2 * DAY_MS)?.values.requests).toBeGreaterThan(0);

    // A slot outside the range whose raw events are gone (past raw retention) stays as stored.
    await mongo.collection(RAW_COLLECTIONS.tokens).deleteMany({ time: { $gte: new Date(D + 2 * DAY_MS) } });
    await run();
    const afterRetention = await snapshot(mongo, 'tokens');
    expect(daySlot(afterRetention.get(outsideMonth), D + 2 * DAY_MS)).toEqual(
      daySlot(corrupted.get(outsideMonth), D + 2 * DAY_MS),
    );
    expect(afterRetention.get(outsideHour)).toEqual(corrupted.get(outsideHour));
  });

  if (dialect === 'mongodb') {
    it('(f) on a compare-and-set dialect, fails clearly when a document changes while it runs', async () => {
      // Empty the slots of one hour document, so the rebuild has something to write.
      const hourId = tokenRollupId('1m', 'tenant-0', 'qwen', 'node-a', D + 5 * 3_600_000);
      const rollups = mongo.collection<{ _id: string }>(ROLLUP_COLLECTIONS.tokens);
      await rollups.updateOne({ _id: hourId }, { $set: { s: encodeSlots(SLOT_SCHEMAS.tokens, new Map()) } });
      // Another writer (a processor left running) moves every document right after the rebuild read it.
      const findByIds = mongo.findByIds.bind(mongo);
      mongo.findByIds = (async (name: string, ids: readonly string[], projection?: Record<string, unknown>) => {
        const docs = await findByIds<{ _id: string }>(name, ids, projection);
        if (name === ROLLUP_COLLECTIONS.tokens) {
          await rollups.updateMany({ _id: { $in: docs.map((d) => d._id) } }, { $inc: { v: 1 } });
        }
        return docs;
      }) as MongoConnection['findByIds'];
      try {
        await expect(
          rebuild.rebuild({ fromMs: D, toMs: D + DAY_MS }, { kinds: ['tokens'], dryRun: false }, () => undefined),
        ).rejects.toThrow(/rollup rebuild conflict: .*Stop every processor and run the rebuild again/);
      } finally {
        mongo.findByIds = findByIds;
      }
      // Run again once the other writer is gone: the emptied hour is restored.
      await run();
      const restored = await rollups.findOne({ _id: hourId });
      expect(
        decodeSlots(SLOT_SCHEMAS.tokens, binaryBytes((restored as { s?: unknown } | null)?.s)).size,
      ).toBeGreaterThan(0);
    });
  }

  it('(e) adds scraped intervals to the token rollups as the processor does', async () => {
    const intervals = Array.from({ length: 6 }, (_, i) =>
      buildTokenUsageInterval({
        eventId: `tiv-${dialect}-${i}`,
        tenant: 'tenant-1',
        model: 'llama',
        node: 'node-a',
        time: new Date(D + DAY_MS + 7 * 3_600_000 + i * 15_000).toISOString(),
      }),
    );
    store.rollups.forgetWatermarks(); // the processor restarts after the rebuilds
    await store.tokens(1, tokenEvents(1, 'e1', 10, D + DAY_MS + 7 * 3_600_000, 60_000), intervals);
    const written = await storedRollups(mongo, 'tokens');
    for (const kind of ['tokens', 'gpu'] as const) await mongo.collection(ROLLUP_COLLECTIONS[kind]).deleteMany({});
    await run();
    const rebuilt = new Map((await storedRollups(mongo, 'tokens')).map((r) => [r._id, r]));
    const inRange = written.filter((r) => r.bucketStart.getTime() < D + 2 * DAY_MS);
    expect(rebuilt.size).toBe(inRange.length);
    for (const record of inRange) {
      const got = rebuilt.get(record._id);
      for (const [field, value] of Object.entries(record)) {
        if (typeof value === 'number' && (field.endsWith('Sum') || field.endsWith('Min') || field.endsWith('Max'))) {
          expect(got?.[field as keyof typeof got]).toBeCloseTo(value, 6);
        } else {
          expect([record._id, field, got?.[field as keyof typeof got]]).toEqual([record._id, field, value]);
        }
      }
    }
  });
});

describe('KafkaCommittedOffsets on the real broker', () => {
  const topic = `tm-int-rebuild-commits-${id}`;
  const groupId = `tm-int-rebuild-${id}.${topic}`;
  const admin = testKafka(kafkaBrokers, `rebuild-commits-${id}`).admin();

  beforeAll(async () => {
    await admin.connect();
    await createTopic(admin, topic, 3);
  });

  afterAll(async () => {
    await deleteTopicsAndGroups(admin, [topic], [groupId]);
    await admin.disconnect();
  });

  it("reads a group's committed offsets per partition; a partition without a commit is absent (0)", async () => {
    // A group that committed on partitions 0 and 1 (as a processor's consumer does), none on 2.
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '0' },
      ],
    });
    const config = rollupsConfig({ MONGO_URL: mongoUrl, KAFKA_BROKERS: kafkaBrokers });
    if (config.processorGroups === undefined) throw new Error('no Kafka settings');
    const group = { topic, groupId };
    const committed = new KafkaCommittedOffsets(config.processorGroups.kafka, { tokens: group, gpu: group });
    try {
      expect(await committed.fetch('tokens')).toEqual({
        topic,
        groupId,
        offsets: new Map([
          [0, 5],
          [1, 0],
        ]),
      });
    } finally {
      await committed.close();
    }
  });
});
