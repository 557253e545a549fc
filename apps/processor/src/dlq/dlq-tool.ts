// Listing and replaying dead letters (issue 3): the operator's side of the DLQ.
// `list` reads the DLQ from its start to its current end; `replay` republishes each chosen
// letter's original key, value and headers to its original topic, where the processor
// validates it again. Replays are safe to repeat: eventIds make storage idempotent.
import { DLQ_HEADERS } from '@tokenmeter/contracts';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface DeadLetterRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  originalTopic: string;
  originalPartition: string;
  originalOffset: string;
  errorClass: string;
  errorMessage: string;
}

export interface LetterFilter {
  errorClass?: string;
  originalTopic?: string;
}

/** Marks a replayed message with where its letter sat, so a loop of replays is traceable. */
export const REPLAYED_FROM_HEADER = 'tokenmeter-replayed-from';

function headerValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return headerValue(value[0]);
  return typeof value === 'string' ? value : '';
}

export function toRecord(partition: number, message: KafkaMessage): DeadLetterRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = headerValue(v);
  return {
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    originalTopic: headers[DLQ_HEADERS.originalTopic] ?? '',
    originalPartition: headers[DLQ_HEADERS.originalPartition] ?? '',
    originalOffset: headers[DLQ_HEADERS.originalOffset] ?? '',
    errorClass: headers[DLQ_HEADERS.errorClass] ?? '',
    errorMessage: headers[DLQ_HEADERS.errorMessage] ?? '',
  };
}

export function matches(letter: DeadLetterRecord, filter: LetterFilter): boolean {
  return (
    (filter.errorClass === undefined || letter.errorClass === filter.errorClass) &&
    (filter.originalTopic === undefined || letter.originalTopic === filter.originalTopic)
  );
}

/** The message to send back: the original headers without the error headers, plus provenance. */
export function replayMessage(letter: DeadLetterRecord, dlqTopic: string) {
  const dlqHeaderNames = new Set<string>(Object.values(DLQ_HEADERS));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(letter.headers)) if (!dlqHeaderNames.has(k)) headers[k] = v;
  headers[REPLAYED_FROM_HEADER] = `${dlqTopic}/${letter.partition}/${letter.offset}`;
  return { key: letter.key, value: letter.value, headers };
}

/** Every letter in the DLQ up to its end at the time of the call, in partition order. */
export async function readDeadLetters(kafka: Kafka, dlqTopic: string, timeoutMs = 60_000): Promise<DeadLetterRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(dlqTopic)) {
      if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  const letters: DeadLetterRecord[] = [];
  if (ends.size === 0) return letters;

  // A throwaway group that commits nothing: reading never moves anyone's position.
  const consumer = kafka.consumer({ groupId: `tokenmeter-dlq-reader-${process.pid}-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the DLQ was not read to its end within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: ({ partition, message }) => {
            const end = ends.get(partition);
            if (end !== undefined && BigInt(message.offset) < end) letters.push(toRecord(partition, message));
            if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

export async function replayDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  letters: DeadLetterRecord[],
): Promise<Record<string, number>> {
  const byTopic = new Map<string, ReturnType<typeof replayMessage>[]>();
  for (const letter of letters) {
    if (letter.originalTopic === '') continue;
    const list = byTopic.get(letter.originalTopic) ?? [];
    list.push(replayMessage(letter, dlqTopic));
    byTopic.set(letter.originalTopic, list);
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: Record<string, number> = {};
  try {
    for (const [topic, messages] of byTopic) {
      await producer.send({ topic, messages, acks: -1 });
      sent[topic] = messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}
