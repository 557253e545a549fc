// BatchProcessor wired by the processor app's own modules (test/support/processor-wiring.ts: the
// real repositories, DlqPublisher, Clock and ProcessorMetrics) and fed by a TopicConsumer, against real Kafka and
// the real MongoDB-protocol server: valid events stored once, poison messages dead-lettered once
// each with Kafka Connect-style headers.
import { randomUUID } from 'node:crypto';
import {
  CONTENT_TYPE_JSON,
  DLQ_HEADERS,
  type GpuSample,
  gpuSeriesKey,
  HEADERS,
  type TokenUsageEvent,
  tokenSeriesKey,
} from '@tokenmeter/contracts';
import {
  gpuDocumentToSample,
  type GpuSampleDocument,
  MongoConnection,
  RAW_COLLECTIONS,
  readRawDocument,
  tokenDocumentToEvent,
  type TokenEventDocument,
} from '@tokenmeter/storage';
import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { createKafka } from '@tokenmeter/telemetry';
import type { Admin, IHeaders, Message, Producer } from 'kafkajs';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { TopicConsumer } from '../../apps/processor/src/ingestion/topic-consumer';
import type { BatchOutcome } from '../../apps/processor/src/ingestion/batch-processor';
import { checkRollups } from '../support/rollup-checker';
import { DeadLetterReason, type EventKind } from '../../apps/processor/src/ingestion/decode';
import type { ProcessorMetrics } from '../../apps/processor/src/processor-metrics';
import { runId, serverEnv } from '../support/env';
import {
  deleteTopicsAndGroups,
  expectCommittedToEnd,
  headerStrings,
  highWatermarks,
  readTopic,
  type ReadMessage,
  testKafka,
} from '../support/kafka-test-utils';
import { dropDatabase } from '../support/mongo-test-utils';
import { type ProcessorWiring, wireProcessor } from '../support/processor-wiring';

const id = runId();
const { kafkaBrokers, mongoUrl } = serverEnv();
const topics = { tokens: `int-${id}.bp.tokens`, gpu: `int-${id}.bp.gpu`, dlq: `int-${id}.bp.dlq` };
const dbName = `tm_int_bp_${id}`;
const MAX_MESSAGE_BYTES = 2_048;
const config = ProcessorConfig.fromEnv({
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  MONGO_DB: dbName,
  KAFKA_CLIENT_ID: `int-${id}`,
  KAFKA_TOPIC_TOKENS: topics.tokens,
  KAFKA_TOPIC_GPU: topics.gpu,
  KAFKA_TOPIC_DLQ: topics.dlq,
  // One partition each, so a message's offset is its index in the single produce request.
  KAFKA_TOPIC_PARTITIONS: '1',
  PROCESSOR_GROUP_PREFIX: `int-${id}`,
  PROCESSOR_MAX_WAIT_MS: '100',
  PROCESSOR_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
  PROCESSOR_RETRY_MAX_BACKOFF_MS: '200',
});
const groupOf = (topic: string): string => `${config.consumer.groupPrefix}.${topic}`;

const testClient = testKafka(kafkaBrokers, `int-${id}-test`);
let wiring: ProcessorWiring;
let admin: Admin;
let producer: Producer;
let mongo: MongoConnection;
let metrics: ProcessorMetrics;
const consumers: TopicConsumer[] = [];
const outcomes: Record<EventKind, BatchOutcome> = {
  tokens: { stored: 0, duplicates: 0, deadLettered: 0, rolledUp: 0 },
  gpu: { stored: 0, duplicates: 0, deadLettered: 0, rolledUp: 0 },
};

function tokenHeaders(extra: Record<string, string> = {}): IHeaders {
  return {
    [HEADERS.schema]: 'tokens.v1',
    [HEADERS.contentType]: CONTENT_TYPE_JSON,
    [HEADERS.ingestedAt]: new Date().toISOString(),
    [HEADERS.traceparent]: `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`,
    ...extra,
  };
}

const tokenMessage = (event: unknown, headers: IHeaders = tokenHeaders()): Message => ({
  key: tokenSeriesKey(event as TokenUsageEvent),
  value: JSON.stringify(event),
  headers,
});

/** Produces the messages in one request to partition 0 and returns the first offset. */
async function produceInOrder(topic: string, messages: Message[]): Promise<bigint> {
  const [meta] = await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
  if (meta?.baseOffset === undefined) throw new Error('no offset in the produce response');
  return BigInt(meta.baseOffset);
}

async function startConsumer(kind: EventKind, topic: string): Promise<void> {
  const { processor } = wiring;
  const kafka = createKafka(config.kafka);
  const consumer = new TopicConsumer(
    kafka,
    {
      topic,
      groupId: groupOf(topic),
      maxBytesPerPartition: config.consumer.maxBytesPerPartition,
      maxWaitMs: config.consumer.maxWaitMs,
      retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
    },
    async (batch) => {
      const outcome = await processor.process(kind, { topic, partition: batch.partition, messages: batch.messages });
      outcomes[kind].stored += outcome.stored;
      outcomes[kind].duplicates += outcome.duplicates;
      outcomes[kind].deadLettered += outcome.deadLettered;
      outcomes[kind].rolledUp += outcome.rolledUp;
    },
  );
  consumers.push(consumer);
  await consumer.start();
}

async function eventCount(topic: string, outcome: string): Promise<number> {
  const { values } = await metrics.events.get();
  return values.find((v) => v.labels.topic === topic && v.labels.outcome === outcome)?.value ?? 0;
}

beforeAll(async () => {
  mongo = await MongoConnection.open(config.mongo);
  // The app's own modules; init: the repositories ensure their indexes, the DLQ publisher creates the topics.
  wiring = await wireProcessor(config, mongo);
  metrics = wiring.metrics;
  admin = testClient.admin();
  producer = testClient.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await wiring?.close(); // DlqPublisher disconnects its producer
  await mongo?.close();
  await producer?.disconnect();
  if (admin !== undefined) {
    await deleteTopicsAndGroups(admin, Object.values(topics), [groupOf(topics.tokens), groupOf(topics.gpu)]);
    await admin.disconnect();
  }
  await dropDatabase(mongoUrl, dbName);
});

describe('BatchProcessor with DlqPublisher and RawEventRepository (real Kafka and MongoDB protocol)', () => {
  const valid = Array.from({ length: 20 }, (_, i) =>
    buildTokenUsageEvent({
      eventId: randomUUID(),
      tenant: `tenant-${i % 2}`,
      node: `node-${i % 3}`,
      inputTokens: 100 + i,
    }),
  );
  const validHeaders = valid.map(() => tokenHeaders());
  const poison: { name: string; message: Message; reason: DeadLetterReason; errorMessage: RegExp }[] = [
    {
      name: 'not JSON',
      message: { key: 'k-json', value: '{"eventId": nope', headers: tokenHeaders() },
      reason: DeadLetterReason.NotJson,
      errorMessage: /not valid JSON/,
    },
    {
      name: 'tombstone',
      message: { key: 'k-tombstone', value: null, headers: tokenHeaders() },
      reason: DeadLetterReason.Tombstone,
      errorMessage: /no value/,
    },
    {
      name: 'wrong schema header',
      message: tokenMessage(
        buildTokenUsageEvent({ eventId: randomUUID() }),
        tokenHeaders({ [HEADERS.schema]: 'gpu.v1' }),
      ),
      reason: DeadLetterReason.UnknownSchema,
      errorMessage: /"gpu\.v1" is not one of tokens\.v1, tokens-interval\.v1/,
    },
    {
      name: 'oversized',
      // A valid event padded with whitespace: the size limit applies before parsing.
      message: {
        key: 'k-big',
        value: JSON.stringify(buildTokenUsageEvent({ eventId: randomUUID() })) + ' '.repeat(MAX_MESSAGE_BYTES),
        headers: tokenHeaders(),
      },
      reason: DeadLetterReason.Oversized,
      errorMessage: new RegExp(`over the ${MAX_MESSAGE_BYTES} byte limit`),
    },
    {
      name: 'contract violation',
      message: tokenMessage({ ...buildTokenUsageEvent({ eventId: randomUUID() }), inputTokens: -1, surprise: true }),
      reason: DeadLetterReason.Invalid,
      // Every field error, each with its path.
      errorMessage: /\$\.inputTokens.*\$\.surprise|\$\.surprise.*\$\.inputTokens/,
    },
  ];
  const gpuValid: GpuSample[] = Array.from({ length: 3 }, (_, i) =>
    buildGpuSample({ eventId: randomUUID(), node: `gpu-node-${i}`, gpuIndex: i }),
  );
  const gpuPoison = buildGpuSample({ eventId: randomUUID() });

  let tokenBase = 0n;
  let gpuBase = 0n;
  let letters: ReadMessage[] = [];

  // Valid, then 5 duplicates of the first valid ones interleaved with the 5 poison messages.
  const tokenMessages: Message[] = [
    ...valid.map((e, i) => tokenMessage(e, validHeaders[i])),
    ...poison.flatMap((p, i) => [p.message, tokenMessage(valid[i], tokenHeaders())]),
  ];
  const gpuMessages: Message[] = [
    ...gpuValid.map((s) => ({
      key: gpuSeriesKey(s),
      value: JSON.stringify(s),
      headers: { [HEADERS.schema]: 'gpu.v1' },
    })),
    { key: gpuSeriesKey(gpuPoison), value: JSON.stringify(gpuPoison), headers: { [HEADERS.schema]: 'tokens.v1' } },
    // A producer in another language that omits the schema header: the topic decides.
    { key: gpuSeriesKey(gpuValid[0] as GpuSample), value: JSON.stringify(gpuValid[0]) },
  ];

  beforeAll(async () => {
    tokenBase = await produceInOrder(topics.tokens, tokenMessages);
    gpuBase = await produceInOrder(topics.gpu, gpuMessages);
    await startConsumer('tokens', topics.tokens);
    await startConsumer('gpu', topics.gpu);
    // Offsets are committed only after the writes: once both groups are at the end, the
    // database and the DLQ hold everything those messages produce.
    await expectCommittedToEnd(admin, groupOf(topics.tokens), topics.tokens);
    await expectCommittedToEnd(admin, groupOf(topics.gpu), topics.gpu);
  });

  it('stores each valid event once, exactly as produced, with its ingested-at time', async () => {
    expect(outcomes.tokens).toMatchObject({ stored: 20, duplicates: 5, deadLettered: 5 });
    expect(outcomes.tokens.rolledUp).toBeGreaterThan(0);
    // The rollups are exactly what the stored raw events imply (independent recomputation).
    const check = await checkRollups(mongoUrl, dbName);
    expect(check.tokens.differences).toEqual([]);
    expect(check.gpu.differences).toEqual([]);
    const docs = (await mongo.collection<TokenEventDocument>(RAW_COLLECTIONS.tokens).find({}).toArray()).map((d) =>
      readRawDocument(d),
    );
    expect(docs).toHaveLength(20);
    for (const [i, event] of valid.entries()) {
      const doc = docs.find((d) => d._id === event.eventId);
      expect(doc && tokenDocumentToEvent(doc)).toStrictEqual(event);
      // The first copy's header wins (the duplicate carries a later ingested-at).
      expect(doc?.ingestedAt?.toISOString()).toBe(validHeaders[i]?.[HEADERS.ingestedAt]);
    }

    expect(outcomes.gpu).toMatchObject({ stored: 3, duplicates: 1, deadLettered: 1 });
    const samples = (await mongo.collection<GpuSampleDocument>(RAW_COLLECTIONS.gpu).find({}).toArray()).map((d) =>
      readRawDocument(d),
    );
    expect(samples.map(gpuDocumentToSample).sort((a, b) => a.eventId.localeCompare(b.eventId))).toStrictEqual(
      [...gpuValid].sort((a, b) => a.eventId.localeCompare(b.eventId)),
    );
  });

  it('puts each poison message in the DLQ exactly once, with the original key, value, headers and error headers', async () => {
    const expectedLetters = poison.length + 1;
    const dlqEnd = await highWatermarks(admin, topics.dlq);
    expect([...dlqEnd.values()].reduce((sum, high) => sum + Number(high), 0)).toBe(expectedLetters);
    letters = await readTopic(testClient, admin, topics.dlq, expectedLetters);
    expect(letters).toHaveLength(expectedLetters);

    for (const [i, p] of poison.entries()) {
      const offset = String(tokenBase + BigInt(20 + 2 * i)); // poison i sits after valid[] and i pairs
      const matching = letters.filter(
        (l) =>
          headerStrings(l.message)[DLQ_HEADERS.originalOffset] === offset &&
          headerStrings(l.message)[DLQ_HEADERS.originalTopic] === topics.tokens,
      );
      expect({ name: p.name, letters: matching.length }).toEqual({ name: p.name, letters: 1 });
      const letter = matching[0]?.message;
      const headers = letter === undefined ? {} : headerStrings(letter);
      expect({
        name: p.name,
        key: letter?.key?.toString('utf8'),
        value: letter?.value?.toString('utf8') ?? null,
      }).toEqual({
        name: p.name,
        key: String(p.message.key),
        value: p.message.value === null ? null : String(p.message.value),
      });
      expect({ name: p.name, headers }).toMatchObject({
        name: p.name,
        headers: {
          [DLQ_HEADERS.originalTopic]: topics.tokens,
          [DLQ_HEADERS.originalPartition]: '0',
          [DLQ_HEADERS.originalOffset]: offset,
          [DLQ_HEADERS.errorClass]: p.reason,
          // The original headers travel with the letter (traceparent for log correlation).
          [HEADERS.traceparent]: String((p.message.headers as IHeaders)[HEADERS.traceparent]),
        },
      });
      // The regex names the case: each reason has its own message.
      expect(headers[DLQ_HEADERS.errorMessage] ?? '').toMatch(p.errorMessage);
    }

    const gpuLetter = letters.find((l) => headerStrings(l.message)[DLQ_HEADERS.originalTopic] === topics.gpu);
    expect(gpuLetter && headerStrings(gpuLetter.message)).toMatchObject({
      [DLQ_HEADERS.originalPartition]: '0',
      [DLQ_HEADERS.originalOffset]: String(gpuBase + 3n),
      [DLQ_HEADERS.errorClass]: DeadLetterReason.UnknownSchema,
    });
    expect(gpuLetter?.message.value?.toString('utf8')).toBe(JSON.stringify(gpuPoison));
  });

  it('counts every outcome per topic in the processor metrics', async () => {
    expect({
      consumed: await eventCount(topics.tokens, 'consumed'),
      stored: await eventCount(topics.tokens, 'stored'),
      duplicate: await eventCount(topics.tokens, 'duplicate'),
      deadLettered: await eventCount(topics.tokens, 'dead_lettered'),
    }).toEqual({ consumed: tokenMessages.length, stored: 20, duplicate: 5, deadLettered: 5 });
    expect(await eventCount(topics.gpu, 'dead_lettered')).toBe(1);
  });

  it('stores nothing new and dead-letters nothing when the valid messages are replayed', async () => {
    // The same Kafka messages again, as after a crash before the commit: read back from the topic.
    const consumed = await readTopic(testClient, admin, topics.tokens, tokenMessages.length);
    const validOnes = consumed.map((r) => r.message).filter((m) => BigInt(m.offset) < tokenBase + 20n);
    expect(validOnes).toHaveLength(20);
    const outcome = await wiring.processor.process('tokens', {
      topic: topics.tokens,
      partition: 0,
      messages: validOnes,
    });
    // Owned replays (same messages), all already under the rollup watermarks: nothing rolls up.
    expect(outcome).toEqual({ stored: 0, duplicates: 20, deadLettered: 0, rolledUp: 0 });
    expect((await checkRollups(mongoUrl, dbName)).tokens.differences).toEqual([]);
    expect(await mongo.collection(RAW_COLLECTIONS.tokens).countDocuments({})).toBe(20);
    const dlqEnd = await highWatermarks(admin, topics.dlq);
    expect([...dlqEnd.values()].reduce((sum, high) => sum + Number(high), 0)).toBe(poison.length + 1);
  });
});
