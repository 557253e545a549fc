// RollupRepository on the real database: contributions land once per document, replays
// and overlapping batches are skipped by the per-partition watermark, and an independent
// recomputation from the raw events agrees with every stored field. It runs in both storage
// dialects, forced on the same server: the point-read one (writes by `_id`, 10 updates per
// command) and the MongoDB one (compare-and-set writes, up to 500 updates per command; the
// batches here touch a few dozen documents, far below the ~100 concurrent statements FerretDB
// deadlocks on).
import type { GpuSample, TokenUsageEvent } from '@tokenmeter/contracts';
import {
  bucketStartMs,
  exactPercentile,
  gpuRollupId,
  type GpuSampleDocument,
  gpuSampleToDocument,
  gpuUtilizationSamples,
  HISTOGRAM_MAX_RELATIVE_ERROR,
  type HistogramCounts,
  histogramPercentile,
  MongoConnection,
  RAW_COLLECTIONS,
  ROLLUP_COLLECTIONS,
  STORAGE_DIALECT_NAMES,
  STORAGE_DIALECTS,
  type StorageDialectName,
  type TokenEventDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import {
  type OwnedEvent,
  RollupConflictError,
  RollupRepository,
} from '../../apps/processor/src/storage/rollup.repository';
import { runId, serverEnv } from '../support/env';
import { dropDatabase } from '../support/mongo-test-utils';
import { checkRollups, storedRollups } from '../support/rollup-checker';

const { mongoUrl } = serverEnv();
const dbName = `tm_int_rollup_${runId()}`;
const NOW = Date.now();
const connections = {} as Record<StorageDialectName, MongoConnection>;
/** The connection and repository of the dialect whose tests run. */
let mongo: MongoConnection;
let repo: RollupRepository;

function tokenEvents(n: number, seed: number): TokenUsageEvent[] {
  return Array.from({ length: n }, (_, i) =>
    buildTokenUsageEvent(
      {
        eventId: `tok-${seed}-${i}`,
        tenant: `tenant-${i % 2}`,
        model: i % 3 === 0 ? 'llama' : 'qwen',
        node: 'node-a',
        time: new Date(NOW - 3_600_000 + i * 7_919).toISOString(),
        inputTokens: 2_000_000_000 > i ? 900_000_000 + i : i, // sums far past int32
        outputTokens: i % 97,
        ttftMs: i % 5 === 0 ? undefined : 1 + ((i * 37) % 900) / 3,
        durationMs: 1_000 + ((i * 53) % 20_000) / 7,
        status: i % 11 === 0 ? 'error' : 'ok',
      },
      { nowMs: NOW },
    ),
  );
}

async function storeRaw(events: TokenUsageEvent[]): Promise<void> {
  const storedAt = new Date();
  await mongo
    .collection<TokenEventDocument>(RAW_COLLECTIONS.tokens)
    .insertMany(events.map((e, i) => tokenEventToDocument(e, { storedAt, src: { p: 0, o: i } })));
}

async function storeRawGpu(samples: GpuSample[]): Promise<void> {
  await mongo
    .collection<GpuSampleDocument>(RAW_COLLECTIONS.gpu)
    .insertMany(samples.map((s) => gpuSampleToDocument(s, { storedAt: new Date() })));
}

/** The sample without utilizationPct (not measured, e.g. a MIG GPU on nvidia-smi) when `unmeasured`. */
function withoutUtilizationIf(unmeasured: boolean, sample: GpuSample): GpuSample {
  const { utilizationPct: _utilizationPct, ...rest } = sample;
  return unmeasured ? rest : sample;
}

const owned = <E>(events: E[], firstOffset = 0): OwnedEvent<E>[] =>
  events.map((event, i) => ({ offset: firstOffset + i, event }));

beforeAll(async () => {
  for (const dialect of STORAGE_DIALECT_NAMES) {
    connections[dialect] = await MongoConnection.open({
      url: mongoUrl,
      dbName,
      serverSelectionTimeoutMs: 5_000,
      dialect,
    });
  }
});

afterAll(async () => {
  for (const connection of Object.values(connections)) await connection.close();
  await dropDatabase(mongoUrl, dbName);
});

beforeEach(async () => {
  for (const c of [...Object.values(RAW_COLLECTIONS), ...Object.values(ROLLUP_COLLECTIONS)]) {
    await mongo.collection(c).deleteMany({});
  }
  // The documents changed behind the repository's back.
  repo.forgetWatermarks();
});

describe.each(STORAGE_DIALECT_NAMES)('RollupRepository (%s dialect)', (dialect) => {
  beforeAll(async () => {
    mongo = connections[dialect];
    expect(mongo.dialect.name).toBe(dialect);
    repo = new RollupRepository(mongo);
    await repo.onModuleInit();
  });

  it('matches an independent recomputation, including 64-bit token sums', async () => {
    const events = tokenEvents(400, 1);
    await storeRaw(events);
    await repo.applyTokens(0, 199, owned(events.slice(0, 200)));
    await repo.applyTokens(0, 399, owned(events.slice(200), 200));
    const check = await checkRollups(mongoUrl, dbName);
    expect(check.tokens.differences).toEqual([]);
    expect(check.tokens.documentsChecked).toBeGreaterThan(4);
    const stored = await storedRollups(mongo, 'tokens');
    const hourDocs = stored.filter((d) => d.resolution === '1h');
    const dayTotal = stored.filter((d) => d.resolution === '1d').reduce((sum, d) => sum + Number(d.inputTokens), 0);
    expect(dayTotal).toBe(events.reduce((sum, e) => sum + e.inputTokens, 0));
    const total = hourDocs.reduce((sum, d) => sum + Number(d.inputTokens), 0);
    expect(total).toBe(events.reduce((sum, e) => sum + e.inputTokens, 0));
  });

  it('skips replays and overlapping batches by watermark', async () => {
    const events = tokenEvents(300, 2);
    await storeRaw(events);
    await repo.applyTokens(0, 149, owned(events.slice(0, 150)));
    // Crash before commit: the consumer restarts from 0 with a longer batch.
    const replay = await repo.applyTokens(0, 299, owned(events));
    expect(replay.skipped).toBeGreaterThan(0);
    // And the whole thing once more, from an older offset.
    const again = await repo.applyTokens(0, 299, owned(events));
    expect(again).toEqual({ documents: 0, skipped: events.length * 3 });
    expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
  });

  it('keeps histograms from which percentiles come within the documented error', async () => {
    const events = tokenEvents(500, 3);
    await storeRaw(events);
    await repo.applyTokens(0, 499, owned(events));
    const docs = (await storedRollups(mongo, 'tokens')).filter((d) => d.resolution === '1m');
    const merged: HistogramCounts = {};
    for (const d of docs)
      for (const [k, v] of Object.entries(d.durationH ?? {})) merged[k] = (merged[k] ?? 0) + Number(v);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact =
        exactPercentile(
          events.map((e) => e.durationMs),
          q,
        ) ?? 0;
      const estimate = histogramPercentile(merged, q) ?? 0;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(HISTOGRAM_MAX_RELATIVE_ERROR);
    }
  });

  it('rolls up GPU samples exactly, those without utilisation included', async () => {
    const samples: GpuSample[] = Array.from({ length: 120 }, (_, i) =>
      withoutUtilizationIf(
        i % 6 === 1 || (i % 4 === 3 && i < 48),
        buildGpuSample(
          {
            eventId: `gpu-${i}`,
            gpuIndex: i % 4,
            time: new Date(NOW - 600_000 + i * 5_000).toISOString(),
            energyJ: i % 7 === 0 ? undefined : 1_000 + i * 10,
            powerW: 100 + i,
            utilizationPct: i % 101,
          },
          { nowMs: NOW },
        ),
      ),
    );
    await storeRawGpu(samples);
    await repo.applyGpu(3, 119, owned(samples));
    await repo.applyGpu(3, 119, owned(samples));
    const check = await checkRollups(mongoUrl, dbName);
    expect(check.gpu.differences).toEqual([]);
    expect(check.gpu.documentsChecked).toBeGreaterThan(4);
    const docs = await storedRollups(mongo, 'gpu');
    for (const doc of docs) {
      const own = samples.filter(
        (s) =>
          gpuRollupId(doc.resolution, s.node, s.gpuIndex, bucketStartMs(Date.parse(s.time), doc.resolution)) ===
          doc._id,
      );
      const measured = own.filter((s) => s.utilizationPct !== undefined);
      expect([Number(doc.samples), gpuUtilizationSamples(doc)]).toEqual([own.length, measured.length]);
    }
    // GPU 3's first 4 minutes measured no utilisation: counted, without a maximum.
    expect(
      docs.some((d) => Number(d.samples) > 0 && gpuUtilizationSamples(d) === 0 && !('utilizationPctMax' in d)),
    ).toBe(true);
  });

  it('keeps watermarks per partition', async () => {
    const events = tokenEvents(50, 4);
    await storeRaw(events);
    await repo.applyTokens(0, 24, owned(events.slice(0, 25)));
    // The same offsets on another partition are different messages.
    await repo.applyTokens(1, 24, owned(events.slice(25), 0));
    expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
  });

  it('reads only the watermarks it has not seen on a partition, and all of them again after forgetting', async () => {
    const first = tokenEvents(100, 5);
    // Other requests of the same series in the same minutes: the same rollup documents.
    const second = first.map((e) => ({ ...e, eventId: `${e.eventId}-again` }));
    const all = [...first, ...second];
    await storeRaw(all);
    const idsRead = jest.spyOn(mongo, 'findByIds');
    const readCount = () => idsRead.mock.calls.reduce((n, call) => n + call[1].length, 0);
    try {
      await repo.applyTokens(0, 99, owned(first));
      expect(readCount()).toBeGreaterThan(0);
      idsRead.mockClear();
      await repo.applyTokens(0, 199, owned(second, 100));
      expect(readCount()).toBe(0);
      expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
      // A rejoin: everything is read again, and a replay of what is stored adds nothing.
      repo.forgetWatermarks('tokens');
      const replay = await repo.applyTokens(0, 199, owned(all));
      expect(replay).toEqual({ documents: 0, skipped: all.length * 3 });
      expect(readCount()).toBeGreaterThan(0);
    } finally {
      idsRead.mockRestore();
    }
  });

  it('after another owner moved a partition on, a rejoin (forget) keeps its work from being added twice', async () => {
    const events = tokenEvents(300, 6);
    await storeRaw(events);
    const other = new RollupRepository(mongo);
    await repo.applyTokens(2, 99, owned(events.slice(0, 100)));
    // The partition moved to another instance, which stored 100-199 and crashed before its commit…
    await other.applyTokens(2, 199, owned(events.slice(100, 200), 100));
    // …and came back here with the same batch (offsets from the last commit, 100).
    repo.forgetWatermarks('tokens');
    const again = await repo.applyTokens(2, 199, owned(events.slice(100, 200), 100));
    expect(again.documents).toBe(0);
    await repo.applyTokens(2, 299, owned(events.slice(200), 200));
    expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
  });

  if (STORAGE_DIALECTS[dialect].compareAndSetWrites) {
    it('forgets a partition whose remembered watermarks proved stale, so the retry reads them', async () => {
      const events = tokenEvents(300, 7);
      await storeRaw(events);
      const zombie = new RollupRepository(mongo);
      await zombie.applyTokens(4, 99, owned(events.slice(0, 100)));
      // Another owner moved the watermarks on while this instance did not notice (no rejoin).
      await repo.applyTokens(4, 199, owned(events.slice(100, 200), 100));
      await expect(zombie.applyTokens(4, 199, owned(events.slice(100, 200), 100))).rejects.toThrow(RollupConflictError);
      // The retry reads the stored watermarks and finds the batch already applied.
      expect((await zombie.applyTokens(4, 199, owned(events.slice(100, 200), 100))).documents).toBe(0);
      await zombie.applyTokens(4, 299, owned(events.slice(200), 200));
      expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
    });
  }
});
