/**
 * Raw event listings for `npm run bench:query`: loads N raw token events into a scratch database
 * the way the processor stores them — the raw documents, and where the storage dialect lists from
 * the time directory (servers that read only by _id) the directory its batches write
 * (libs/storage/src/documents/raw-time-directory.ts, the writer's own pure functions)
 * — and names the listing queries to time: a one-hour page and the three pages after it.
 */
import { randomUUID } from 'node:crypto';
import type { TokenUsageEvent } from '@tokenmeter/contracts';
import {
  announcementDocument,
  floorTo,
  HOUR_MS,
  listingEntryOf,
  MINUTE_MS,
  minutesByHour,
  type PackedRawDocument,
  planSegments,
  RAW_COLLECTIONS,
  rawIndexesFor,
  RAW_TIME_DIRECTORY_COLLECTION,
  type RawDirectoryDocument,
  type StorageDialect,
  segmentDocument,
  segmentKey,
  storedRawDocument,
  type TokenEventDocument,
  tokenEventToDocument,
} from '@tokenmeter/storage';
import type { MongoClient } from 'mongodb';

/** Messages per simulated processor batch (one raw insert, its segments and announcements). */
const BATCH = 1_000;
const PARTITIONS = 6;

const NODES = ['node-0', 'node-1', 'node-2', 'node-3'];
/** The 50 token series of bench:query: tenants tenant-0..4, models model-0..4, nodes node-0..3. */
const SERIES = Array.from({ length: 50 }, (_, i) => ({
  tenant: `tenant-${i % 5}`,
  model: `model-${Math.floor(i / 5) % 5}`,
  node: NODES[i % 4] as string,
}));

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A finished request as a vLLM server would report it, in series `i % 50`. */
function tokenEvent(i: number, timeMs: number, random: () => number): TokenUsageEvent {
  const durationMs = Math.round((50 + random() * 8_000) * 1000) / 1000;
  const inputTokens = 1 + Math.floor(random() * 4_000);
  const ok = random() > 0.03;
  return {
    eventId: randomUUID(),
    time: new Date(timeMs).toISOString(),
    ...(SERIES[i % SERIES.length] as (typeof SERIES)[number]),
    gpuIndex: i % 8,
    inputTokens,
    outputTokens: ok ? 1 + Math.floor(random() * 1_000) : 0,
    ...(random() < 0.3 ? { cachedInputTokens: Math.floor(random() * inputTokens) } : {}),
    ttftMs: Math.round(durationMs * random() * 100) / 1000,
    durationMs,
    status: ok ? 'ok' : 'error',
    finishReason: ok ? 'stop' : 'length',
  };
}

/**
 * Loads `events` token events spread evenly (with jitter) over [fromMs, toMs), in time order, in
 * batches of 1,000 as a processor would store a backlog: one unordered raw insert per batch, then
 * — where the server lists from the time directory — the batch's announcements for minutes not
 * announced yet and one segment per minute, at the next free slots (this loader is the only writer,
 * so it counts the slots instead of discovering them).
 */
export async function loadRawEvents(
  client: MongoClient,
  db: string,
  opts: { events: number; fromMs: number; toMs: number; dialect: StorageDialect },
): Promise<{ docs: number; seconds: number }> {
  const started = Date.now();
  const database = client.db(db);
  const raw = database.collection<TokenEventDocument | PackedRawDocument>(RAW_COLLECTIONS.tokens);
  const directory = database.collection<RawDirectoryDocument>(RAW_TIME_DIRECTORY_COLLECTION);
  for (const index of rawIndexesFor('tokens', opts.dialect.rawListing)) {
    await raw.createIndex(index.keys, { name: index.name, unique: index.unique ?? false });
  }
  const writeDirectory = opts.dialect.rawListing === 'time-directory';
  const random = seeded(20261206);
  const stepMs = (opts.toMs - opts.fromMs) / opts.events;
  const segmentSlots = new Map<string, number>();
  const announced = new Map<number, { slots: number; minutes: Set<number> }>();
  let docs = 0;
  let lastReport = 0;
  for (let first = 0; first < opts.events; first += BATCH) {
    const count = Math.min(BATCH, opts.events - first);
    const partition = Math.floor(first / BATCH) % PARTITIONS;
    const storedAt = new Date();
    const events = Array.from({ length: count }, (_, k) => {
      const i = first + k;
      const timeMs = Math.min(opts.toMs - 1, Math.floor(opts.fromMs + (i + random()) * stepMs));
      return tokenEvent(i, timeMs, random);
    });
    await raw.insertMany(
      events.map((e, k) =>
        storedRawDocument(
          tokenEventToDocument(e, { ingestedAt: storedAt, storedAt, src: { p: partition, o: first + k } }),
          opts.dialect.rawListing,
        ),
      ),
      { ordered: false },
    );
    docs += events.length;
    if (writeDirectory) {
      const planned = planSegments('tokens', events.map(listingEntryOf));
      const written: RawDirectoryDocument[] = [];
      for (const group of minutesByHour(planned).values()) {
        const state = announced.get(group.hourMs) ?? { slots: 0, minutes: new Set<number>() };
        announced.set(group.hourMs, state);
        const fresh = [...group.minutes].filter((m) => !state.minutes.has(m));
        if (fresh.length === 0) continue;
        written.push(announcementDocument('tokens', group.hourMs, state.slots, fresh));
        state.slots += 1;
        for (const m of fresh) state.minutes.add(m);
      }
      for (const segment of planned) {
        const key = segmentKey(segment.kind, segment.minuteMs);
        const slot = segmentSlots.get(key) ?? 0;
        segmentSlots.set(key, slot + 1);
        written.push(segmentDocument(segment, slot));
      }
      await directory.insertMany(written, { ordered: false });
      docs += written.length;
    }
    const now = Date.now();
    if (now - lastReport > 2_000 || first + count >= opts.events) {
      lastReport = now;
      const loaded = first + count;
      const rate = loaded / Math.max(0.001, (now - started) / 1000);
      process.stdout.write(
        `\r  raw token events: ${loaded.toLocaleString('en')} / ${opts.events.toLocaleString('en')}, ` +
          `${Math.round(rate).toLocaleString('en')}/s, ETA ${Math.round((opts.events - loaded) / Math.max(1, rate))} s` +
          (writeDirectory ? ' (with the time directory)' : '') +
          '   ',
      );
    }
  }
  process.stdout.write('\n');
  return { docs, seconds: (Date.now() - started) / 1000 };
}

/**
 * The listing queries: the last full hour before `endMs`, 100 per page, and the three pages that
 * follow its `nextCursor`; the same for one tenant (a fifth of the events match).
 */
export function rawPageQueries(endMs: number): { name: string; path: string; follow: number }[] {
  const hourEnd = floorTo(endMs, MINUTE_MS);
  const range = `from=${new Date(hourEnd - HOUR_MS).toISOString()}&to=${new Date(hourEnd).toISOString()}`;
  return [
    {
      name: 'events/tokens 1h limit=100, then 3 nextCursor pages',
      path: `/v1/events/tokens?${range}&limit=100`,
      follow: 3,
    },
    {
      name: 'events/tokens 1h tenant=tenant-1 limit=100, then 3 nextCursor pages',
      path: `/v1/events/tokens?${range}&tenant=tenant-1&limit=100`,
      follow: 3,
    },
  ];
}
