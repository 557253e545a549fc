// EventPublisher against the real Kafka broker: what it publishes is readable with its key,
// value and headers, one key always lands on one partition, and a Kafka that cannot take the
// events makes it fail (PublishError) instead of hanging.
import { randomUUID } from 'node:crypto';
import { CONTENT_TYPE_JSON, HEADERS, type TokenUsageEvent, tokenSeriesKey } from '@tokenmeter/contracts';
import { buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { Clock, ReadinessRegistry } from '@tokenmeter/telemetry';
import type { Admin } from 'kafkajs';
import { ProducerConfig } from '../../apps/producer/src/config';
import { EventPublisher, type OutgoingMessage, PublishError } from '../../apps/producer/src/kafka/event-publisher';
import { runId, serverEnv } from '../support/env';
import { expectEventually } from '../support/eventually';
import { deleteTopicsAndGroups, headerStrings, readTopic, testKafka } from '../support/kafka-test-utils';

const id = runId();
const { kafkaBrokers } = serverEnv();
const topics = { tokens: `int-${id}.pub.tokens`, gpu: `int-${id}.pub.gpu`, dlq: `int-${id}.pub.dlq` };
const topicEnv = {
  KAFKA_TOPIC_TOKENS: topics.tokens,
  KAFKA_TOPIC_GPU: topics.gpu,
  KAFKA_TOPIC_DLQ: topics.dlq,
  KAFKA_TOPIC_PARTITIONS: '3',
};

const testClient = testKafka(kafkaBrokers, `int-${id}-test`);
let admin: Admin;
const publishers: EventPublisher[] = [];

function publisherFor(env: Record<string, string>): { publisher: EventPublisher; readiness: ReadinessRegistry } {
  const readiness = new ReadinessRegistry();
  const publisher = new EventPublisher(
    ProducerConfig.fromEnv({ KAFKA_CLIENT_ID: `int-${id}`, ...topicEnv, ...env }),
    readiness,
    new Clock(),
  );
  publishers.push(publisher);
  return { publisher, readiness };
}

function outgoing(event: TokenUsageEvent): OutgoingMessage {
  return {
    key: tokenSeriesKey(event),
    value: JSON.stringify(event),
    headers: {
      [HEADERS.schema]: 'tokens.v1',
      [HEADERS.contentType]: CONTENT_TYPE_JSON,
      [HEADERS.ingestedAt]: new Date().toISOString(),
      [HEADERS.traceparent]: `00-${randomUUID().replace(/-/g, '')}-00f067aa0ba902b7-01`,
    },
  };
}

beforeAll(async () => {
  admin = testClient.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(publishers.map((p) => p.beforeApplicationShutdown().catch(() => undefined)));
  await deleteTopicsAndGroups(admin, Object.values(topics), []);
  await admin.disconnect();
});

describe('EventPublisher (real Kafka)', () => {
  it('creates the topics, publishes with acks=all, and the messages read back with their key, value and headers', async () => {
    const { publisher, readiness } = publisherFor({ KAFKA_BROKERS: kafkaBrokers });
    await publisher.onModuleInit();

    const created = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
    expect(created.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(
      Object.values(topics)
        .map((t) => [t, 3])
        .sort(),
    );
    const kafkaProbe = new Map(readiness.entries()).get('kafka');
    await expect(kafkaProbe?.()).resolves.toEqual({ brokers: 1 });

    // Four series, 15 events each, published in two requests.
    const events = Array.from({ length: 60 }, (_, i) =>
      buildTokenUsageEvent({ eventId: randomUUID(), tenant: `tenant-${i % 4}`, inputTokens: i }),
    );
    const messages = events.map(outgoing);
    await publisher.publish(topics.tokens, messages.slice(0, 30));
    await publisher.publish(topics.tokens, messages.slice(30));
    await publisher.publish(topics.tokens, []); // nothing to do, resolves

    const read = await readTopic(testClient, admin, topics.tokens, messages.length);
    expect(read).toHaveLength(messages.length);
    const byValue = new Map(read.map((r) => [r.message.value?.toString('utf8'), r]));
    for (const sent of messages) {
      const got = byValue.get(sent.value);
      expect({ key: got?.message.key?.toString('utf8'), headers: got && headerStrings(got.message) }).toEqual({
        key: sent.key,
        headers: sent.headers,
      });
    }
    // One series, one partition (SPEC §4), in publish order within it.
    const partitionsByKey = new Map<string, Set<number>>();
    for (const r of read) {
      const key = r.message.key?.toString('utf8') ?? '';
      partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(r.partition));
    }
    expect([...partitionsByKey.values()].map((s) => s.size)).toEqual([1, 1, 1, 1]);
    for (const key of partitionsByKey.keys()) {
      const inKafka = read
        .filter((r) => r.message.key?.toString('utf8') === key)
        .sort((a, b) => Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
      expect(inKafka.map((r) => r.message.value?.toString('utf8'))).toEqual(
        messages.filter((m) => m.key === key).map((m) => m.value),
      );
    }
  });

  it('rejects with PublishError when the topic does not exist (Kafka cannot take the events)', async () => {
    const { publisher } = publisherFor({ KAFKA_BROKERS: kafkaBrokers, PRODUCER_PUBLISH_TIMEOUT_MS: '2000' });
    await publisher.onModuleInit();
    const missing = `int-${id}.pub.missing`;
    await expect(
      publisher.publish(missing, [outgoing(buildTokenUsageEvent({ eventId: randomUUID() }))]),
    ).rejects.toBeInstanceOf(PublishError);
    // allowAutoTopicCreation is off: the failed publish did not create the topic either.
    expect(await admin.listTopics()).not.toContain(missing);
  }, 30_000);

  it('after a failed publish answers at once while the circuit is open, says why in readiness, and recovers', async () => {
    const { publisher, readiness } = publisherFor({
      KAFKA_BROKERS: kafkaBrokers,
      PRODUCER_PUBLISH_TIMEOUT_MS: '2000',
      PRODUCER_KAFKA_PROBE_INTERVAL_MS: '500',
    });
    await publisher.onModuleInit();
    const event = () => outgoing(buildTokenUsageEvent({ eventId: randomUUID() }));
    await expect(publisher.publish(`int-${id}.pub.gone`, [event()])).rejects.toBeInstanceOf(PublishError);
    expect(publisher.unavailableReason).toBeDefined();
    // Open circuit: refused without a round trip to Kafka, with the reason.
    await expect(publisher.publish(topics.tokens, [event()])).rejects.toThrow(/^Kafka is unavailable: /);
    const kafkaProbe = new Map(readiness.entries()).get('kafka');
    await expect(kafkaProbe?.()).rejects.toThrow(/answering 503/);
    // The probe finds the cluster answering and closes the circuit by itself.
    await expectEventually(
      async () => {
        await publisher.publish(topics.tokens, [event()]);
      },
      { timeoutMs: 20_000, description: 'publishing works again' },
    );
    expect(publisher.unavailableReason).toBeUndefined();
    await expect(kafkaProbe?.()).resolves.toEqual({ brokers: 1 });
  }, 60_000);

  it('with a linger, concurrent publishes each resolve once their messages are in Kafka', async () => {
    const { publisher } = publisherFor({ KAFKA_BROKERS: kafkaBrokers, PRODUCER_LINGER_MS: '50' });
    await publisher.onModuleInit();
    const batches = Array.from({ length: 5 }, () =>
      Array.from({ length: 4 }, () => outgoing(buildTokenUsageEvent({ eventId: randomUUID(), tenant: 'linger' }))),
    );
    await Promise.all(batches.map((b) => publisher.publish(topics.gpu, b)));
    const read = await readTopic(testClient, admin, topics.gpu, 20);
    expect(new Set(read.map((r) => r.message.value?.toString('utf8')))).toEqual(
      new Set(batches.flat().map((m) => m.value)),
    );
  }, 60_000);

  describe('with brokers on a closed port', () => {
    const closed = {
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_CONNECT_TIMEOUT_MS: '500',
      KAFKA_REQUEST_TIMEOUT_MS: '1000',
      PRODUCER_PUBLISH_TIMEOUT_MS: '1000',
    };

    it('fails onModuleInit instead of hanging', async () => {
      const { publisher } = publisherFor(closed);
      await expect(publisher.onModuleInit()).rejects.toThrow(/connect|ECONNREFUSED|broker/i);
    }, 60_000);

    it('rejects publish with PublishError instead of hanging', async () => {
      const { publisher } = publisherFor({ ...closed, KAFKA_CREATE_TOPICS: 'false' });
      // Never connected (onModuleInit would fail first): publish must still fail cleanly.
      const attempt = publisher.publish(topics.tokens, [outgoing(buildTokenUsageEvent({ eventId: randomUUID() }))]);
      await expect(attempt).rejects.toBeInstanceOf(PublishError);
    }, 30_000);
  });
});
