// TopicConsumer against the real Kafka broker: the commit rule (offsets committed only after
// the handler resolved), retries of a failing handler, draining on stop(), and a real
// rebalance between two members of one group.
import type { EachBatchPayload, Admin, Kafka, Producer } from 'kafkajs';
import { createKafka } from '@tokenmeter/telemetry';
import { MongoConnection } from '@tokenmeter/storage';
import { ProcessorConfig } from '../../apps/processor/src/config';
import { ProcessorLiveness } from '../../apps/processor/src/ingestion/processor-liveness';
import { type BatchHandler, TopicConsumer } from '../../apps/processor/src/ingestion/topic-consumer';
import { runId, serverEnv } from '../support/env';
import { expectEventually } from '../support/eventually';
import {
  committedOffsets,
  createTopic,
  deleteTopicsAndGroups,
  expectCommittedToEnd,
  testKafka,
} from '../support/kafka-test-utils';

type Batch = EachBatchPayload['batch'];

const id = runId();
const { kafkaBrokers, mongoUrl } = serverEnv();
const config = ProcessorConfig.fromEnv({
  KAFKA_BROKERS: kafkaBrokers,
  MONGO_URL: mongoUrl,
  KAFKA_CLIENT_ID: `int-${id}`,
  // Small fetches: many batches, so commits happen batch by batch.
  PROCESSOR_MAX_BYTES_PER_PARTITION: '2048',
  PROCESSOR_MAX_WAIT_MS: '100',
  PROCESSOR_RETRY_MAX_BACKOFF_MS: '50',
});

const testClient = testKafka(kafkaBrokers, `int-${id}-test`);
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const topics: string[] = [];
const groups: string[] = [];
const running: TopicConsumer[] = [];

/** A fresh topic and group for one test. */
async function scenario(name: string, partitions: number): Promise<{ topic: string; groupId: string }> {
  const topic = `int-${id}.${name}`;
  const groupId = `int-${id}.${name}.group`;
  await createTopic(admin, topic, partitions);
  topics.push(topic);
  groups.push(groupId);
  return { topic, groupId };
}

function consumerFor(
  topic: string,
  groupId: string,
  handler: BatchHandler,
  onWriteFailure?: () => void,
): TopicConsumer {
  const consumer = new TopicConsumer(
    kafka,
    {
      topic,
      groupId,
      maxBytesPerPartition: config.consumer.maxBytesPerPartition,
      maxWaitMs: config.consumer.maxWaitMs,
      retryMaxBackoffMs: config.consumer.retryMaxBackoffMs,
    },
    handler,
    { onWriteFailure },
  );
  running.push(consumer);
  return consumer;
}

/** Produces `count` messages `m-<first+i>` round-robin over the partitions, acks=all. */
async function produce(topic: string, partitions: number, first: number, count: number): Promise<void> {
  const chunk = 250;
  for (let start = first; start < first + count; start += chunk) {
    const end = Math.min(first + count, start + chunk);
    const messages = [];
    for (let i = start; i < end; i += 1) messages.push({ partition: i % partitions, key: `k-${i}`, value: `m-${i}` });
    await producer.send({ topic, acks: -1, messages });
  }
}

function values(batch: Batch): string[] {
  return batch.messages.map((m) => m.value?.toString('utf8') ?? '<null>');
}

function expectedValues(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `m-${i}`).sort();
}

beforeAll(async () => {
  kafka = createKafka(config.kafka);
  admin = testClient.admin();
  producer = testClient.producer({ allowAutoTopicCreation: false });
  await Promise.all([admin.connect(), producer.connect()]);
});

afterAll(async () => {
  // A test that failed half-way may leave consumers running; stop() is idempotent enough.
  await Promise.all(running.map((c) => c.stop().catch(() => undefined)));
  await producer?.disconnect();
  await deleteTopicsAndGroups(admin, topics, groups);
  await admin?.disconnect();
});

describe('TopicConsumer (real Kafka)', () => {
  it('hands every message to the handler and commits each partition to its high watermark', async () => {
    const { topic, groupId } = await scenario('all', 3);
    await produce(topic, 3, 0, 500);

    const handled: string[] = [];
    const consumer = consumerFor(topic, groupId, (batch) => {
      handled.push(...values(batch));
      return Promise.resolve();
    });
    await consumer.start();

    await expectCommittedToEnd(admin, groupId, topic);
    expect([...handled].sort()).toEqual(expectedValues(500));
    expect(consumer.status()).toEqual({ ok: true });
    await consumer.stop();
  });

  it('commits nothing while the handler fails, retries, and commits once it succeeds', async () => {
    const { topic, groupId } = await scenario('failing', 3);
    await produce(topic, 3, 0, 500);

    let failing = true;
    let failures = 0;
    let failureCallbacks = 0;
    const handled: string[] = [];
    const consumer = consumerFor(
      topic,
      groupId,
      (batch) => {
        if (failing) {
          failures += 1;
          return Promise.reject(new Error('simulated write failure'));
        }
        handled.push(...values(batch));
        return Promise.resolve();
      },
      () => {
        failureCallbacks += 1;
      },
    );
    await consumer.start();

    await expectEventually(() => Promise.resolve(expect(failures).toBeGreaterThanOrEqual(3)), {
      timeoutMs: 30_000,
      description: 'the handler failed three times',
    });
    // Still failing: not one partition has a committed offset, and nothing was handled.
    const whileFailing = await committedOffsets(admin, groupId, topic);
    expect([...whileFailing.values()]).toEqual(['-1', '-1', '-1']);
    expect(handled).toEqual([]);
    expect(consumer.status()).toEqual({ ok: false, reason: 'storing a batch failed: simulated write failure' });

    // A few more failed attempts later, still nothing committed (the batch is retried, not skipped).
    const seen = failures;
    await expectEventually(() => Promise.resolve(expect(failures).toBeGreaterThanOrEqual(seen + 3)), {
      timeoutMs: 30_000,
      description: 'three more failed attempts',
    });
    expect([...(await committedOffsets(admin, groupId, topic)).values()]).toEqual(['-1', '-1', '-1']);

    failing = false;
    await expectCommittedToEnd(admin, groupId, topic);
    // At least once: every message handled, none skipped by the failures.
    expect([...new Set(handled)].sort()).toEqual(expectedValues(500));
    expect(failureCallbacks).toBe(failures);
    expect(consumer.status()).toEqual({ ok: true });
    await consumer.stop();
  });

  it('stop() waits for the batch in flight, commits it, then leaves the group', async () => {
    const { topic, groupId } = await scenario('drain', 3);
    await produce(topic, 3, 0, 300);

    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    interface InFlight {
      partition: number;
      lastOffset: string;
      values: string[];
    }
    let inFlight: InFlight | undefined;
    const handled: string[] = [];
    const consumer = consumerFor(topic, groupId, async (batch) => {
      if (inFlight === undefined) {
        inFlight = {
          partition: batch.partition,
          lastOffset: batch.messages[batch.messages.length - 1]?.offset ?? '-1',
          values: values(batch),
        };
        await released; // a slow write, still running when stop() is called
      }
      handled.push(...values(batch));
    });
    await consumer.start();
    await expectEventually(() => Promise.resolve(expect(inFlight).toBeDefined()), {
      timeoutMs: 30_000,
      description: 'a batch in flight',
    });
    const batch = inFlight;
    if (batch === undefined) throw new Error('no batch in flight');

    let stopped = false;
    const stopping = consumer.stop().then(() => {
      stopped = true;
    });
    // While the write is pending nothing is committed and stop() has not returned.
    expect([...(await committedOffsets(admin, groupId, topic)).values()]).toEqual(['-1', '-1', '-1']);
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(handled).toEqual(expect.arrayContaining(batch.values));
    const committed = await committedOffsets(admin, groupId, topic);
    expect(committed.get(batch.partition)).toBe((BigInt(batch.lastOffset) + 1n).toString());
    const { groups: described } = await admin.describeGroups([groupId]);
    expect(described[0]?.members).toEqual([]);
  });

  it('covers every message and commits to the end across a real rebalance of two members', async () => {
    const { topic, groupId } = await scenario('rebalance', 6);
    const total = 2000;
    const chunk = 50;
    const handledBy = { a: [] as string[], b: [] as string[] };
    const partitionsOf = { a: new Set<number>(), b: new Set<number>() };
    // An await per batch, like a database write: batches are in flight when the group rebalances.
    const recorder =
      (member: 'a' | 'b'): BatchHandler =>
      async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        handledBy[member].push(...values(batch));
        partitionsOf[member].add(batch.partition);
      };
    const a = consumerFor(topic, groupId, recorder('a'));
    const b = consumerFor(topic, groupId, recorder('b'));
    const distinctHandled = (): number => new Set([...handledBy.a, ...handledBy.b]).size;

    await a.start();
    let joining: Promise<void> | undefined;
    let producedWhenBJoined: number | undefined;
    let producedSoFar = 0;
    for (let first = 0; first < total; first += chunk) {
      // The second member joins while production goes on; its join makes the group rebalance.
      if (first === 500)
        joining = b.start().then(() => {
          producedWhenBJoined = producedSoFar;
        });
      // Keep the last quarter for after the join, so the new member surely gets messages.
      if (first === 1500) await joining;
      await produce(topic, 6, first, chunk);
      producedSoFar = first + chunk;
      // Production is paced by consumption (at most 4 chunks ahead), not by the clock, so it
      // goes on during the rebalance instead of finishing before it.
      const produced = producedSoFar;
      await expectEventually(
        () => Promise.resolve(expect(distinctHandled()).toBeGreaterThanOrEqual(produced - 4 * chunk)),
        {
          timeoutMs: 60_000,
          intervalMs: 20,
          description: `consumption keeping up with ${produced} produced`,
        },
      );
    }

    await expectCommittedToEnd(admin, groupId, topic, 90_000);
    await expectEventually(() => Promise.resolve(expect(distinctHandled()).toBe(total)), {
      timeoutMs: 10_000,
      description: 'all 2,000 messages handled',
    });
    expect([...new Set([...handledBy.a, ...handledBy.b])].sort()).toEqual(expectedValues(total));
    const deliveries = handledBy.a.length + handledBy.b.length;
    console.log(
      `rebalance: ${deliveries} deliveries of ${total} messages, ${deliveries - total} duplicates; ` +
        `member a ${handledBy.a.length} from partitions [${[...partitionsOf.a].sort().join(',')}], ` +
        `member b ${handledBy.b.length} from partitions [${[...partitionsOf.b].sort().join(',')}]; ` +
        `b joined after ${producedWhenBJoined} messages were produced`,
    );
    // Both members consumed: the group really split the partitions between them.
    expect(handledBy.a.length).toBeGreaterThan(0);
    expect(handledBy.b.length).toBeGreaterThan(0);
    expect(partitionsOf.b.size).toBeLessThan(6);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('liveness: a batch whose write never returns is stuck once past the limit while MongoDB answers, live again when it ends', async () => {
    const { topic, groupId } = await scenario('stuck', 1);
    await produce(topic, 1, 0, 20);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const consumer = consumerFor(topic, groupId, async () => {
      calls += 1;
      // The first batch's write hangs, as a driver write did after a database restart (issue 15).
      if (calls === 1) await hung;
    });
    const mongo = await MongoConnection.open(config.mongo);
    const liveness = new ProcessorLiveness(mongo, {
      stuckAfterMs: 1_000,
      probeTimeoutMs: 3_000,
      probeMaxAgeMs: 15_000,
    });
    try {
      await consumer.start();
      const verdict = await expectEventually(
        async () => {
          const v = await liveness.check([consumer.batchInFlight()], Date.now());
          if (v.live) throw new Error(`still live: ${JSON.stringify(v)}`);
          return v;
        },
        { timeoutMs: 60_000, description: 'liveness finds the hung batch stuck' },
      );
      expect(verdict.live === false && verdict.reason).toMatch(
        new RegExp(
          `^stuck: the batch from offset 0 of ${topic.replace(/\./g, '\\.')}\\[0\\] has been in flight for \\d+ s \\(no attempt has finished\\), while MongoDB answers a new connection`,
        ),
      );
      release();
      await expectCommittedToEnd(admin, groupId, topic);
      expect(consumer.batchInFlight()).toBeUndefined();
      expect(await liveness.check([consumer.batchInFlight()], Date.now())).toEqual({ live: true });
    } finally {
      release();
      await consumer.stop();
      await mongo.close();
    }
  });
});
