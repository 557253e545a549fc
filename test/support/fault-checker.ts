// The end-of-scenario checker of the fault-injection suite (issue 3). Once the processors have
// committed every partition to its end and the raw count is stable, it compares what was sent
// with what is stored, independently of the code under test:
//   - raw collections hold exactly the distinct valid eventIds sent (none lost, none extra), and
//     a random sample of >= 1,000 stored documents equals the sent events field by field;
//   - every series was stored from a single partition (the series key routes it, SPEC §4);
//   - checkRollups recomputes every 1m/1h/1d rollup bucket from the raw events and finds no difference;
//   - the DLQ holds exactly the poison messages, by (original topic, partition, offset).
// Every difference is printed (and written in full to the scenario's log folder).
import { isDeepStrictEqual } from 'node:util';
import { DLQ_HEADERS, type GpuSample, type TokenUsageEventInput } from '@tokenmeter/contracts';
import type { Admin, KafkaMessage } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { expectEventually } from './eventually';
import type { FaultRun } from './fault-harness';
import { headerStrings, readTopic } from './kafka-test-utils';
import { rawDocuments } from './mongo-test-utils';
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

/** The last lines of a scenario's processor logs that are warnings or errors (where time went). */
export function processorTrouble(run: FaultRun, lines = 8): string {
  return run
    .logTail((line) => /"level":(40|50|60)/.test(line), lines)
    .map((l) => l.slice(0, 400))
    .join('\n');
}

/**
 * Polls until the group has committed at least `target` messages of `topic` (summed over its
 * partitions), by the scenario's deadline. Fails early, with the measured throughput and the
 * processors' recent warnings, when nothing was committed for `stallMs` (a stuck consumer) or
 * when the (non-zero) throughput of the last minute cannot get through all the messages the
 * scenario expects on the topic by its deadline (a pipeline too slow for the scenario): a failing
 * suite stays within its time budget.
 */
export async function waitForCommitted(
  run: FaultRun,
  topic: string,
  target: number,
  options: { description: string; stallMs?: number },
): Promise<number> {
  const admin = await run.connectAdmin();
  const started = Date.now();
  const stallMs = options.stallMs ?? 90_000;
  const history: { at: number; committed: number }[] = [];
  let lastChange = Date.now();
  for (;;) {
    const previous = history[history.length - 1]?.committed ?? -1;
    const committed = await committedTotal(admin, run.groupOf(topic), topic).catch(() => previous);
    if (committed >= target) return committed;
    const now = Date.now();
    if (committed !== previous) lastChange = now;
    history.push({ at: now, committed });
    while (history.length > 1 && (history[0]?.at ?? now) < now - 60_000) history.shift();
    const oldest = history[0] ?? { at: now, committed };
    const ratePerS = ((committed - oldest.committed) / Math.max(1, now - oldest.at)) * 1000;
    const all = Math.max(target, run.expectedMessages.get(topic) ?? 0);
    const projectedMs = ratePerS > 0 ? ((all - committed) / ratePerS) * 1000 : Number.POSITIVE_INFINITY;
    let reason: string | undefined;
    if (now - lastChange > stallMs) reason = `no commit for ${stallMs / 1000} s`;
    else if (now > run.deadlineMs) reason = `past the scenario's deadline (${run.budgetS} s)`;
    else if (now - started >= 60_000 && ratePerS > 0 && now + projectedMs > run.deadlineMs) {
      reason =
        `too slow: ${ratePerS.toFixed(0)} messages/s over the last minute would need ` +
        `${(projectedMs / 1000).toFixed(0)} s for the remaining ${all - committed} of ${all}, ` +
        `${((run.deadlineMs - now) / 1000).toFixed(0)} s are left of the scenario's ${run.budgetS} s`;
    }
    if (reason !== undefined) {
      const behind = await lagging(admin, run.groupOf(topic), topic).catch((e: unknown) => [String(e)]);
      throw new Error(
        `${run.scenario}: ${options.description}: ${reason} (${committed} of ${target} committed; ` +
          `${behind.join('; ')})\n${await run.processorStats()}\nrecent processor warnings:\n${processorTrouble(run)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Polls until the scenario's groups committed every partition of `topics` to its end, then until
 * the raw counts stop changing (a zombie write would still move them).
 */
export async function waitUntilDrained(run: FaultRun, topics: string[]): Promise<number> {
  const started = Date.now();
  const admin = await run.connectAdmin();
  for (const topic of topics) {
    const end = await topicEnd(admin, topic);
    await waitForCommitted(run, topic, end, { description: `commit ${topic} to its end (${end} messages)` });
    const behind = await lagging(admin, run.groupOf(topic), topic);
    if (behind.length > 0) throw new Error(`${run.scenario}: ${behind.join('; ')}`);
  }
  const client = new MongoClient(run.mongoUrl);
  try {
    const db = client.db(run.dbName);
    // collStats: countDocuments would read every document (12 s per 100,000 on FerretDB); the
    // exact count is established by the checker, this only watches for late writes.
    const count = async (collection: string) => {
      const stats = await db.command({ collStats: collection }).catch(() => ({ count: -1 }));
      return Number((stats as { count?: unknown }).count ?? -1);
    };
    const counts = () => Promise.all(['token_events', 'gpu_samples'].map(count)).then((n) => n.join('/'));
    let previous = await counts();
    let stableReads = 0;
    await expectEventually(
      async () => {
        const now = await counts();
        stableReads = now === previous ? stableReads + 1 : 0;
        previous = now;
        if (stableReads < 2) throw new Error(`raw counts still moving or just read: ${now}`);
      },
      { timeoutMs: 30_000, intervalMs: 1_500, description: `${run.scenario}: raw counts stable` },
    );
  } finally {
    await client.close();
  }
  return Date.now() - started;
}

/** Sum of the high watermarks (what a group has committed when it consumed everything). */
async function topicEnd(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
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
  rollupDocs: { tokens: number; gpu: number; tokens1m: number; tokens1h: number; tokens1d: number };
  tokenMessages: number;
  duplicatesRejected: number;
  dlqLetters: number;
  dlqDuplicateLetters: number;
  checkMs: number;
  /** Milliseconds per check: raw, rollups (in parallel), dlq. */
  timings: Record<string, number>;
}

type Doc = Record<string, unknown>;
const STORAGE_META = new Set(['_id', 'time', 'ingestedAt', 'storedAt', 'src']);

/** The stored shape of a sent event, by the contract's rules (tenant defaults to "default"). */
function expectedFields(event: Record<string, unknown>, kind: 'tokens' | 'gpu'): Record<string, unknown> {
  const { eventId: _eventId, time: _time, ...rest } = event;
  return kind === 'tokens' ? { ...rest, tenant: rest.tenant ?? 'default' } : rest;
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
  // The raw comparison and the rollup recomputation both read every raw event: in parallel.
  const client = new MongoClient(run.mongoUrl);
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };
  const [raw, rollups] = await Promise.all([
    timed('raw', async () => {
      try {
        const db = client.db(run.dbName);
        const tokenDocs = await rawDocuments<Doc>(db, 'token_events');
        const tokenSample = compareRaw('tokens', expectation.tokens, tokenDocs, 1_000, differences);
        const gpuDocs = await rawDocuments<Doc>(db, 'gpu_samples');
        const gpuSample = compareRaw('gpu', expectation.gpu ?? [], gpuDocs, 1_000, differences);
        return { storedTokens: tokenDocs.length, storedGpu: gpuDocs.length, sampled: tokenSample + gpuSample };
      } finally {
        await client.close();
      }
    }),
    timed('rollups', () => checkRollups(run.mongoUrl, run.dbName)),
  ]);
  const { storedTokens, storedGpu, sampled } = raw;
  differences.push(...rollups.tokens.differences.map((d) => `token rollup: ${d}`));
  differences.push(...rollups.gpu.differences.map((d) => `gpu rollup: ${d}`));
  const minutes = new Set<string>();
  const hours = new Set<string>();
  const days = new Set<string>();
  for (const e of expectation.tokens) {
    const ms = Date.parse(e.time);
    const series = `${e.tenant ?? 'default'}|${e.model}|${e.node}`;
    minutes.add(`${series}|${Math.floor(ms / 60_000)}`);
    hours.add(`${series}|${Math.floor(ms / 3_600_000)}`);
    days.add(`${series}|${Math.floor(ms / 86_400_000)}`);
  }

  const dlq = await timed('dlq', () => checkDlq(run, expectation.poison ?? 0, differences));
  const admin = await run.connectAdmin();
  const tokenMessages = await topicMessageCount(admin, run.topics.tokens);

  if (differences.length > 0) {
    const file = run.writeLog('differences.txt', differences);
    const shown = differences.slice(0, 1_000);
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
      tokens1d: days.size,
    },
    tokenMessages,
    duplicatesRejected: tokenMessages - (expectation.poison ?? 0) - storedTokens,
    dlqLetters: dlq.letters,
    dlqDuplicateLetters: dlq.duplicates,
    checkMs: Date.now() - started,
    timings,
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
