// An independent checker for the rollups (issue 3): recomputes every 1m, 1h and 1d rollup
// bucket from the stored raw events, with deliberately plain code that shares nothing with the
// processor's accumulation, and reports every difference it finds. Only the unpacking of the
// stored bucket documents (rollup-slots.ts, itself unit-tested) is shared.
import {
  binaryBytes,
  decodeSlots,
  type GpuRollupBucket,
  type GpuRollupDocument,
  gpuSlotRecord,
  ROLLUP_COLLECTIONS,
  SLOT_SCHEMAS,
  type TokenRollupBucket,
  type TokenRollupDocument,
  tokenSlotRecord,
} from '@tokenmeter/storage';
import { type Db, MongoClient } from 'mongodb';
import { rawDocuments } from './mongo-test-utils';

const BUCKETS = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;

/** Every stored rollup bucket of a kind, unpacked from its bucket document (one record per slot). */
/** A database, or the app's MongoConnection. */
type Collections = Pick<Db, 'collection'>;

export async function storedRollups(db: Collections, kind: 'tokens'): Promise<TokenRollupDocument[]>;
export async function storedRollups(db: Collections, kind: 'gpu'): Promise<GpuRollupDocument[]>;
export async function storedRollups(
  db: Collections,
  kind: 'tokens' | 'gpu',
): Promise<TokenRollupDocument[] | GpuRollupDocument[]> {
  const docs = await db.collection(ROLLUP_COLLECTIONS[kind]).find({}).toArray();
  if (kind === 'tokens') {
    return docs.flatMap((doc) => {
      const bucket = doc as unknown as TokenRollupBucket;
      return [...decodeSlots(SLOT_SCHEMAS.tokens, binaryBytes(bucket.s))].map(([i, slot]) =>
        tokenSlotRecord(bucket, i, slot),
      );
    });
  }
  return docs.flatMap((doc) => {
    const bucket = doc as unknown as GpuRollupBucket;
    return [...decodeSlots(SLOT_SCHEMAS.gpu, binaryBytes(bucket.s))].map(([i, slot]) => gpuSlotRecord(bucket, i, slot));
  });
}
const GROWTH = 1.1;
const MIN_MS = 0.01;

type Doc = Record<string, unknown>;

interface Expected {
  id: string;
  fields: Record<string, number>;
}

/** Histogram bucket by linear search over the boundaries: slow, obviously right. */
function bucketOf(valueMs: number): number {
  if (valueMs < MIN_MS) return 0;
  let i = 1;
  while (valueMs >= MIN_MS * GROWTH ** i) i += 1;
  return i;
}

function bump(fields: Record<string, number>, name: string, by: number): void {
  fields[name] = (fields[name] ?? 0) + by;
}

function keepMin(fields: Record<string, number>, name: string, v: number): void {
  fields[name] = Math.min(fields[name] ?? Number.POSITIVE_INFINITY, v);
}

function keepMax(fields: Record<string, number>, name: string, v: number): void {
  fields[name] = Math.max(fields[name] ?? Number.NEGATIVE_INFINITY, v);
}

function expectedTokenRollups(raw: Doc[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const e of raw) {
    const t = (e.time as Date).getTime();
    for (const [res, size] of Object.entries(BUCKETS)) {
      const id = JSON.stringify(['t', res, e.tenant, e.model, e.node, Math.floor(t / size) * size]);
      const x = out.get(id) ?? { id, fields: {} };
      out.set(id, x);
      const f = x.fields;
      bump(f, 'requests', 1);
      bump(f, 'errors', e.status === 'error' ? 1 : 0);
      bump(f, 'inputTokens', e.inputTokens as number);
      bump(f, 'outputTokens', e.outputTokens as number);
      bump(f, 'cachedInputTokens', (e.cachedInputTokens as number | null | undefined) ?? 0);
      bump(f, 'durationMsSum', e.durationMs as number);
      keepMin(f, 'durationMsMin', e.durationMs as number);
      keepMax(f, 'durationMsMax', e.durationMs as number);
      bump(f, `durationH.b${bucketOf(e.durationMs as number)}`, 1);
      bump(f, 'ttftCount', e.ttftMs == null ? 0 : 1);
      if (e.ttftMs != null) {
        bump(f, 'ttftMsSum', e.ttftMs as number);
        keepMin(f, 'ttftMsMin', e.ttftMs as number);
        keepMax(f, 'ttftMsMax', e.ttftMs as number);
        bump(f, `ttftH.b${bucketOf(e.ttftMs as number)}`, 1);
      }
    }
  }
  return out;
}

function expectedGpuRollups(raw: Doc[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const s of raw) {
    const t = (s.time as Date).getTime();
    for (const [res, size] of Object.entries(BUCKETS)) {
      const id = JSON.stringify(['g', res, s.node, s.gpuIndex, Math.floor(t / size) * size]);
      const x = out.get(id) ?? { id, fields: {} };
      out.set(id, x);
      const f = x.fields;
      bump(f, 'samples', 1);
      // utilizationPct is optional: the sum and max are over the samples that have it, and the
      // document counts the others (an absent count reads as 0, see gpuUtilizationSamples).
      bump(f, 'samplesWithoutUtilization', s.utilizationPct == null ? 1 : 0);
      if (s.utilizationPct != null) {
        bump(f, 'utilizationPctSum', s.utilizationPct as number);
        keepMax(f, 'utilizationPctMax', s.utilizationPct as number);
      }
      bump(f, 'memoryUsedMiBSum', s.memoryUsedMiB as number);
      keepMax(f, 'memoryUsedMiBMax', s.memoryUsedMiB as number);
      bump(f, 'powerWSum', s.powerW as number);
      keepMax(f, 'powerWMax', s.powerW as number);
      keepMax(f, 'temperatureCMax', s.temperatureC as number);
      bump(f, 'energySamples', s.energyJ == null ? 0 : 1);
      if (s.energyJ != null) {
        keepMin(f, 'energyJMin', s.energyJ as number);
        keepMax(f, 'energyJMax', s.energyJ as number);
      }
    }
  }
  return out;
}

/** Flattens `{durationH: {b3: 2}}` into `{'durationH.b3': 2}` for comparison. */
function flatten(doc: Doc, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v === 'number') out[`${prefix}${k}`] = v;
    else if (typeof v === 'bigint') out[`${prefix}${k}`] = Number(v);
    else if (v !== null && typeof v === 'object' && !(v instanceof Date) && (k === 'durationH' || k === 'ttftH')) {
      Object.assign(out, flatten(v as Doc, `${k}.`));
    }
  }
  return out;
}

const FLOAT_FIELDS = new Set(['durationMsSum', 'ttftMsSum', 'utilizationPctSum', 'memoryUsedMiBSum', 'powerWSum']);
const IGNORED = new Set(['_id', 'gpuIndex']);

export interface RollupCheck {
  documentsChecked: number;
  differences: string[];
}

function compare(expected: Map<string, Expected>, actual: Doc[]): RollupCheck {
  const differences: string[] = [];
  const seen = new Set<string>();
  for (const doc of actual) {
    const id = doc._id as string;
    seen.add(id);
    const want = expected.get(id);
    if (want === undefined) {
      differences.push(`unexpected rollup ${id}`);
      continue;
    }
    const got = flatten(doc);
    for (const name of new Set([...Object.keys(want.fields), ...Object.keys(got)])) {
      if (IGNORED.has(name) || name.startsWith('wm.')) continue;
      const w = want.fields[name] ?? 0;
      const g = got[name] ?? 0;
      const equal = FLOAT_FIELDS.has(name) ? Math.abs(w - g) <= 1e-9 * Math.max(1, Math.abs(w)) : w === g;
      if (!equal) differences.push(`${id} ${name}: expected ${w}, stored ${g}`);
    }
  }
  for (const id of expected.keys()) if (!seen.has(id)) differences.push(`missing rollup ${id}`);
  return { documentsChecked: actual.length, differences };
}

/** Recomputes the token and GPU rollups of a database from its raw events and compares. */
export async function checkRollups(
  mongoUrl: string,
  dbName: string,
): Promise<{ tokens: RollupCheck; gpu: RollupCheck }> {
  const client = new MongoClient(mongoUrl);
  try {
    const db = client.db(dbName);
    const [tokenRaw, gpuRaw, tokenRollups, gpuRollups] = await Promise.all([
      rawDocuments(db, 'token_events'),
      rawDocuments(db, 'gpu_samples'),
      storedRollups(db, 'tokens'),
      storedRollups(db, 'gpu'),
    ]);
    return {
      tokens: compare(expectedTokenRollups(tokenRaw), tokenRollups as unknown as Doc[]),
      gpu: compare(expectedGpuRollups(gpuRaw), gpuRollups as unknown as Doc[]),
    };
  } finally {
    await client.close();
  }
}
