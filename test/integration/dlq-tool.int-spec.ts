// The DLQ tool against the real broker: list reads every letter to the end, replay sends
// the chosen ones back to their original topic without the error headers.
import { DLQ_HEADERS } from '@tokenmeter/contracts';
import { createKafka } from '@tokenmeter/telemetry';
import { readDeadLetters, REPLAYED_FROM_HEADER, replayDeadLetters } from '../../apps/processor/src/dlq/dlq-tool';
import { runId, serverEnv } from '../support/env';
import { expectEventually } from '../support/eventually';

const { kafkaBrokers } = serverEnv();
const id = runId();
const topics = { tokens: `int-${id}.dlqtool.tokens`, dlq: `int-${id}.dlqtool.dlq` };
const kafka = createKafka({
  brokers: kafkaBrokers.split(','),
  clientId: `int-${id}`,
  topics: { tokens: topics.tokens, gpu: `${topics.tokens}.gpu`, dlq: topics.dlq },
  createTopics: true,
  topicPartitions: 2,
  replicationFactor: 1,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
});

function letter(i: number, errorClass: string) {
  return {
    key: `k${i}`,
    value: `{"n":${i}`,
    headers: {
      schema: 'tokens.v1',
      [DLQ_HEADERS.originalTopic]: topics.tokens,
      [DLQ_HEADERS.originalPartition]: '0',
      [DLQ_HEADERS.originalOffset]: String(100 + i),
      [DLQ_HEADERS.errorClass]: errorClass,
      [DLQ_HEADERS.errorMessage]: 'message value is not valid JSON',
    },
  };
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [topics.tokens, topics.dlq].map((topic) => ({ topic, numPartitions: 2 })),
  });
  await admin.disconnect();
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topics.tokens, topics.dlq] }).catch(() => undefined);
  await admin.disconnect();
});

it('lists every letter and replays the chosen ones to their original topic', async () => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: topics.dlq,
    acks: -1,
    messages: [
      ...[0, 1, 2].map((i) => letter(i, 'tokenmeter.MalformedJson')),
      ...[3, 4].map((i) => letter(i, 'tokenmeter.ContractViolation')),
    ],
  });
  await producer.disconnect();

  const letters = await readDeadLetters(kafka, topics.dlq);
  expect(letters.map((l) => l.originalOffset).sort()).toEqual(['100', '101', '102', '103', '104']);

  const chosen = letters.filter((l) => l.errorClass === 'tokenmeter.MalformedJson');
  expect(await replayDeadLetters(kafka, topics.dlq, chosen)).toEqual({ [topics.tokens]: 3 });

  const received: { value: string; headers: Record<string, string> }[] = [];
  const consumer = kafka.consumer({ groupId: `int-${id}-dlqtool-check` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.tokens, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      received.push({ value: message.value?.toString() ?? '', headers });
      return Promise.resolve();
    },
  });
  try {
    await expectEventually(() => Promise.resolve(expect(received).toHaveLength(3)), {
      timeoutMs: 30_000,
      description: '3 replayed messages',
    });
  } finally {
    await consumer.disconnect();
  }
  expect(received.map((r) => r.value).sort()).toEqual(['{"n":0', '{"n":1', '{"n":2']);
  for (const r of received) {
    expect(r.headers.schema).toBe('tokens.v1');
    expect(r.headers[REPLAYED_FROM_HEADER]).toMatch(new RegExp(`^${topics.dlq.replace(/\./g, '\\.')}/\\d/\\d+$`));
    expect(Object.keys(r.headers).filter((k) => k.startsWith('__connect.'))).toEqual([]);
  }
});
