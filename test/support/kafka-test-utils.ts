// Small helpers for integration tests against the real Kafka broker: plain kafkajs clients
// (the test's own, independent of the code under test) to create topics, produce, read a
// topic back, and compare a group's committed offsets with the topics' high watermarks.
import { type Admin, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { expectEventually } from './eventually';

export function testKafka(brokers: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions, replicationFactor: 1 }],
  });
  if (!created) throw new Error(`topic ${topic} already existed`);
}

/** partition -> high watermark (the offset the next message will get). */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, string>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((p) => [p.partition, p.high]));
}

/** partition -> committed offset of the group ('-1' when the group committed nothing there). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** Polls until the group's committed offsets equal the high watermarks on every partition. */
export async function expectCommittedToEnd(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<void> {
  await expectEventually(
    async () => {
      const high = await highWatermarks(admin, topic);
      const committed = await committedOffsets(admin, groupId, topic);
      const actual = Object.fromEntries([...high.keys()].map((p) => [p, committed.get(p) ?? '-1']));
      expect(actual).toEqual(Object.fromEntries(high));
    },
    { timeoutMs, intervalMs: 200, description: `group ${groupId} committed ${topic} to its end` },
  );
}

export interface ReadMessage {
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from the beginning with a fresh group until `count` messages arrived (or the
 * deadline passed), then disconnects. The group is deleted afterwards.
 */
export async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const groupId = `${topic}.reader`;
  const received: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        received.push({ partition, message });
        return Promise.resolve();
      },
    });
    await expectEventually(() => Promise.resolve(expect(received.length).toBeGreaterThanOrEqual(count)), {
      timeoutMs,
      intervalMs: 100,
      description: `${count} messages read from ${topic}`,
    });
  } finally {
    await consumer.disconnect();
  }
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return received;
}

/** Header values as strings (kafkajs hands them out as Buffers). */
export function headerStrings(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

/** Best-effort cleanup of topics and groups a test created (the broker is shared by runs). */
export async function deleteTopicsAndGroups(admin: Admin, topics: string[], groups: string[]): Promise<void> {
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present }).catch(() => undefined);
}
