// The end-of-scenario checker of the fault-injection suite (issue 3). Once the processors have
// committed every partition to its end and the raw count is stable, it compares what was sent
// with what is stored, independently of the code under test:
//   - raw collections hold exactly the distinct valid eventIds sent (none lost, none extra), and
//     a random sample of >= 1,000 stored documents equals the sent events field by field;
//   - every series was stored from a single partition (the series key routes it, SPEC §4);
//   - checkRollups recomputes every 1m/1h rollup from the raw events and finds no difference;
//   - the DLQ holds exactly the poison messages, by (original topic, partition, offset).
// Every difference is printed (and written in full to the scenario's log folder).
import { isDeepStrictEqual } from 'node:util';
import { DLQ_HEADERS, type GpuSample, type TokenUsageEventInput } from '@tokenmeter/contracts';
import type { Admin, KafkaMessage } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { expectEventually } from './eventually';
import type { FaultRun } from './fault-harness';
import { headerStrings, readTopic } from './kafka-test-utils';
import { checkRollups } from './rollup-checker';

/** Header the suite puts on every poison message it produces (never set by tokenmeter). */
export const POISON_HEADER = 'x-tokenmeter-fault';

export async function topicMessageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Partitions whose committed offset is behind the high watermark, as readable text. */
export async function lagging(admin: Admin, groupId: string, topic: string): Promise<string[]> {
  const high = await admin.fetchTopicOffsets(topic);
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  const behind: string[] = [];
  for (const p of high) {
    const c = committed.get(p.partition) ?? '-1';
    const done = c === p.high || (c === '-1' && p.high === p.low);
    if (!done) behind.push(`${topic}[${p.partition}] committed ${c} of ${p.high}`);
  }
  return behind;
}

/** Sum of the group's committed offsets over the topic (progress for triggering faults). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/**
 * Polls until the scenario's groups committed every partition of `topics` to its end, then until
 * the raw counts stop changing (a zombie write would still move them).
 */
export async function waitUntilDrained(run: FaultRun, topics: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const admin = await run.connectAdmin();
  await expectEventually(
    async () => {
      const behind = (await Promise.all(topics.map((t) => lagging(admin, run.groupOf(t), t)))).flat();
      if (behind.length > 0) throw new Error(behind.join('; '));
    },
    { timeoutMs, intervalMs: 500, description: `${run.scenario}: processors committed every partition to its end` },
  );
  const client = new MongoClient(run.mongoUrl);
  try {
    const db = client.db(run.dbName);
    const counts = () =>
      Promise.all(['token_events', 'gpu_samples'].map((c) => db.collection(c).countDocuments({}))).then((n) =>
        n.join('/'),
      );
    let previous = await counts();
    await expectEventually(
      async () => {
        const now = await counts();
        const stable = now === previous;
        previous = now;
        if (!stable) throw new Error(`raw counts still moving: ${now}`);
      },
      { timeoutMs: 30_000, intervalMs: 1_500, description: `${run.scenario}: raw counts stable` },
    );
  } finally {
    await client.close();
  }
  return Date.now() - started;
}

export interface Expectation {
  /** Every distinct valid token event sent (each once, whatever was re-posted). */
  tokens: readonly TokenUsageEventInput[];
  gpu?: readonly GpuSample[];
  /** Poison messages produced to the token topic (found there by POISON_HEADER). */
  poison?: number;
}

export interface CheckReport {
  differences: string[];
  storedTokens: number;
  storedGpu: number;
  sampled: number;
  rollupDocs: { tokens: number; gpu: number; tokens1m: number; tokens1h: number };
  tokenMessages: number;
  duplicatesRejected: number;
  dlqLetters: number;
  dlqDuplicateLetters: number;
  checkMs: number;
}

type Doc = Record<string, unknown>;
const STORAGE_META = new Set(['_id', 'time', 'ingestedAt', 'storedAt', 'src']);

/** The stored shape of a sent event, by the contract's rules (tenant defaults to "default"). */
function expectedFields(event: Record<string, unknown>, kind: 'tokens' | 'gpu'): Record<string, unknown> {
  const { eventId: _eventId, time: _time, ...rest } = event;
  return kind === 'tokens' ? { ...rest, tenant: (rest.tenant as string | undefined) ?? 'default' } : rest;
}

function storedFields(doc: Doc): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !STORAGE_META.has(k)));
}

function compareRaw(
  kind: 'tokens' | 'gpu',
  sent: readonly Record<string, unknown>[],
  stored: Doc[],
  sampleSize: number,
  differences: string[],
): number {
  const sentById = new Map(sent.map((e) => [e.eventId as string, e]));
  const storedById = new Map<string, Doc>();
  for (const doc of stored) {
    const id = doc._id as string;
    if (storedById.has(id)) differences.push(`${kind} stored twice: ${id}`);
    storedById.set(id, doc);
  }
  for (const id of sentById.keys()) if (!storedById.has(id)) differences.push(`${kind} lost: ${id}`);
  for (const id of storedById.keys()) if (!sentById.has(id)) differences.push(`${kind} unexpected: ${id}`);

  // Field-by-field equality for a random sample.
  const ids = [...sentById.keys()];
  const sample = new Set<string>();
  while (sample.size < Math.min(sampleSize, ids.length)) sample.add(ids[Math.floor(Math.random() * ids.length)] ?? '');
  for (const id of sample) {
    const doc = storedById.get(id);
    const event = sentById.get(id);
    if (doc === undefined || event === undefined) continue;
    const time = doc.time;
    if (!(time instanceof Date) || time.getTime() !== Date.parse(event.time as string)) {
      differences.push(`${kind} time differs: ${id} sent ${String(event.time)}, stored ${String(time)}`);
    }
    const src = doc.src as { p?: unknown; o?: unknown } | undefined;
    if (typeof src?.p !== 'number' || typeof src.o !== 'number') {
      differences.push(`${kind} without src: ${id} ${JSON.stringify(src)}`);
    }
    const want = expectedFields(event, kind);
    const got = storedFields(doc);
    if (!isDeepStrictEqual(got, want)) {
      differences.push(`${kind} fields differ: ${id} sent ${JSON.stringify(want)}, stored ${JSON.stringify(got)}`);
    }
  }

  // One series, one partition: the key routes every event of a series to the same partition.
  const partitions = new Map<string, Set<number>>();
  for (const doc of stored) {
    const series =
      kind === 'tokens'
        ? `${String(doc.tenant)}|${String(doc.model)}|${String(doc.node)}`
        : `${String(doc.node)}|${String(doc.gpuIndex)}`;
    const p = (doc.src as { p?: number } | undefined)?.p ?? -1;
    const set = partitions.get(series) ?? new Set<number>();
    set.add(p);
    partitions.set(series, set);
  }
  for (const [series, set] of partitions) {
    if (set.size !== 1) differences.push(`${kind} series on several partitions: ${series} from ${[...set].join(',')}`);
  }
  return sample.size;
}

function originOf(topic: string, partition: number, offset: string): string {
  return `${topic}/${partition}/${offset}`;
}

async function checkDlq(
  run: FaultRun,
  expectedPoison: number,
  differences: string[],
): Promise<{ letters: number; duplicates: number }> {
  const admin = await run.connectAdmin();
  const letterCount = await topicMessageCount(admin, run.topics.dlq);
  if (expectedPoison === 0) {
    if (letterCount > 0) {
      const letters = await readTopic(run.kafka, admin, run.topics.dlq, letterCount, 60_000);
      for (const { message } of letters) {
        const h = headerStrings(message);
        differences.push(
          `dlq unexpected letter: from ${h[DLQ_HEADERS.originalTopic]}/${h[DLQ_HEADERS.originalPartition]}/` +
            `${h[DLQ_HEADERS.originalOffset]}: ${h[DLQ_HEADERS.errorClass]}: ${h[DLQ_HEADERS.errorMessage]}`,
        );
      }
    }
    return { letters: letterCount, duplicates: 0 };
  }

  // The poison origins, found in the token topic itself by the marker header.
  const tokenMessages = await topicMessageCount(admin, run.topics.tokens);
  const all = await readTopic(run.kafka, admin, run.topics.tokens, tokenMessages, 120_000);
  const poison = new Map<string, KafkaMessage>();
  for (const { partition, message } of all) {
    if (headerStrings(message)[POISON_HEADER] !== undefined) {
      poison.set(originOf(run.topics.tokens, partition, message.offset), message);
    }
  }
  if (poison.size !== expectedPoison) {
    differences.push(
      `poison setup: ${expectedPoison} poison messages produced, ${poison.size} found in the token topic`,
    );
  }

  const letters = await readTopic(run.kafka, admin, run.topics.dlq, letterCount, 120_000);
  const seen = new Map<string, number>();
  for (const { message } of letters) {
    const h = headerStrings(message);
    const origin = originOf(
      h[DLQ_HEADERS.originalTopic] ?? '?',
      Number(h[DLQ_HEADERS.originalPartition]),
      h[DLQ_HEADERS.originalOffset] ?? '?',
    );
    seen.set(origin, (seen.get(origin) ?? 0) + 1);
    const original = poison.get(origin);
    if (original === undefined) {
      differences.push(`dlq letter for a non-poison message: ${origin} ${h[DLQ_HEADERS.errorMessage]}`);
      continue;
    }
    if (!isDeepStrictEqual(message.value, original.value) || !isDeepStrictEqual(message.key, original.key)) {
      differences.push(`dlq letter without the original key and value: ${origin}`);
    }
    if (!h[DLQ_HEADERS.errorClass] || !h[DLQ_HEADERS.errorMessage]) {
      differences.push(`dlq letter without error headers: ${origin}`);
    }
  }
  for (const origin of poison.keys()) if (!seen.has(origin)) differences.push(`dlq letter missing: ${origin}`);
  const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
  return { letters: letterCount, duplicates };
}

/** Runs every check, prints every difference, and reports the numbers for the summary line. */
export async function checkScenario(run: FaultRun, expectation: Expectation): Promise<CheckReport> {
  const started = Date.now();
  const differences: string[] = [];
  const client = new MongoClient(run.mongoUrl);
  let storedTokens = 0;
  let storedGpu = 0;
  let sampled = 0;
  try {
    const db = client.db(run.dbName);
    const tokenDocs = await db.collection<Doc>('token_events').find({}).toArray();
    storedTokens = tokenDocs.length;
    sampled += compareRaw('tokens', expectation.tokens as unknown as Doc[], tokenDocs, 1_000, differences);
    const gpuDocs = await db.collection<Doc>('gpu_samples').find({}).toArray();
    storedGpu = gpuDocs.length;
    sampled += compareRaw('gpu', (expectation.gpu ?? []) as unknown as Doc[], gpuDocs, 1_000, differences);
  } finally {
    await client.close();
  }

  const rollups = await checkRollups(run.mongoUrl, run.dbName);
  differences.push(...rollups.tokens.differences.map((d) => `token rollup: ${d}`));
  differences.push(...rollups.gpu.differences.map((d) => `gpu rollup: ${d}`));
  const minutes = new Set<string>();
  const hours = new Set<string>();
  for (const e of expectation.tokens) {
    const ms = Date.parse(e.time);
    const series = `${e.tenant ?? 'default'}|${e.model}|${e.node}`;
    minutes.add(`${series}|${Math.floor(ms / 60_000)}`);
    hours.add(`${series}|${Math.floor(ms / 3_600_000)}`);
  }

  const dlq = await checkDlq(run, expectation.poison ?? 0, differences);
  const admin = await run.connectAdmin();
  const tokenMessages = await topicMessageCount(admin, run.topics.tokens);

  if (differences.length > 0) {
    const file = run.writeLog('differences.txt', differences);
    const shown = differences.slice(0, 300);
    process.stdout.write(
      `[fault ${run.scenario}] ${differences.length} differences (all in ${file}):\n  ${shown.join('\n  ')}\n` +
        (differences.length > shown.length ? `  ... and ${differences.length - shown.length} more\n` : ''),
    );
  }
  return {
    differences,
    storedTokens,
    storedGpu,
    sampled,
    rollupDocs: {
      tokens: rollups.tokens.documentsChecked,
      gpu: rollups.gpu.documentsChecked,
      tokens1m: minutes.size,
      tokens1h: hours.size,
    },
    tokenMessages,
    duplicatesRejected: tokenMessages - (expectation.poison ?? 0) - storedTokens,
    dlqLetters: dlq.letters,
    dlqDuplicateLetters: dlq.duplicates,
    checkMs: Date.now() - started,
  };
}

/** The differences grouped by kind, for one readable assertion. */
export function differenceCounts(report: CheckReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of report.differences) {
    const kind = d.slice(0, d.indexOf(': '));
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
