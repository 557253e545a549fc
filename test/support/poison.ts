// Poison messages for the fault-injection suite (issue 3, fault f): what a producer that skips
// validation could write straight to the token topic. Every kind the processor must dead-letter
// (docs/ARCHITECTURE.md step 1): not JSON, contract violations, a wrong or unknown schema header,
// tombstones, oversized values, times too old or too far in the future. Each message carries
// POISON_HEADER so the checker finds its origin in the topic independently of the processor.
import { randomUUID } from 'node:crypto';
import type { TokenUsageEventInput } from '@tokenmeter/contracts';
import type { Kafka, Message, Producer } from 'kafkajs';
import { POISON_HEADER } from './fault-checker';
import { pick } from './fault-events';

type Mutation = (e: Record<string, unknown>, nowMs: number) => unknown;

const CONTRACT_VIOLATIONS: Record<string, Mutation> = {
  negativeTokens: (e) => ({ ...e, inputTokens: -1 }),
  fractionalTokens: (e) => ({ ...e, outputTokens: 1.5 }),
  tokensAsString: (e) => ({ ...e, inputTokens: '512' }),
  unknownField: (e) => ({ ...e, surprise: true }),
  badStatus: (e) => ({ ...e, status: 'maybe' }),
  notATime: (e) => ({ ...e, time: 'yesterday' }),
  notACalendarDate: (e) => ({ ...e, time: '2026-02-30T00:00:00Z' }),
  tooFarInFuture: (e, nowMs) => ({ ...e, time: new Date(nowMs + 3_600_000).toISOString() }),
  pastRetention: (e, nowMs) => ({ ...e, time: new Date(nowMs - 8 * 86_400_000).toISOString() }),
  ttftAfterEnd: (e) => ({ ...e, ttftMs: 5_000, durationMs: 100 }),
  badEventId: (e) => ({ ...e, eventId: 'has spaces' }),
  badAttributeKey: (e) => ({ ...e, attributes: { 'bad.key': 'x' } }),
  operatorValue: (e) => ({ ...e, model: { $gt: '' } }),
  operatorKey: (e) => ({ ...e, $where: '1' }),
  emptyNode: (e) => ({ ...e, node: '' }),
  controlChar: (e) => ({ ...e, node: 'gpu\u0007node' }),
  missingModel: (e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'model')),
  jsonArray: (e) => [e],
  jsonNull: () => null,
  jsonNumber: () => 42,
};

const NOT_JSON = ['{"eventId": nope', 'hello', '', '\u0000\u0001\u0002', '{"eventId":"x",', 'NaN'];

export interface PoisonMessage {
  kind: string;
  message: Message;
}

/** One poison message, modelled on a valid event of the same traffic (so it lands among them). */
export function poisonMessage(random: () => number, model: TokenUsageEventInput, nowMs: number): PoisonMessage {
  const base = { ...model, eventId: randomUUID() } as Record<string, unknown>;
  const key = random() < 0.8 ? `${model.tenant ?? 'default'}|${model.model}|${model.node}` : `rogue-${randomUUID()}`;
  const headers = (schema?: string): Record<string, string> => ({
    ...(schema === undefined ? {} : { schema }),
    'content-type': 'application/json',
    [POISON_HEADER]: 'poison',
  });
  const r = random();
  if (r < 0.5) {
    const name = pick(random, Object.keys(CONTRACT_VIOLATIONS));
    const mutate = CONTRACT_VIOLATIONS[name] as Mutation;
    // Some rogue producers send no schema header: the topic decides, the contract still applies.
    const schema = random() < 0.2 ? undefined : 'tokens.v1';
    return {
      kind: `contract:${name}`,
      message: { key, value: JSON.stringify(mutate(base, nowMs)), headers: headers(schema) },
    };
  }
  if (r < 0.7) {
    return { kind: 'not-json', message: { key, value: pick(random, NOT_JSON), headers: headers('tokens.v1') } };
  }
  if (r < 0.85) {
    // A perfectly valid body under the wrong contract name: never stored as a token event.
    const schema = pick(random, ['gpu.v1', 'tokens.v2', 'tokens.v0', 'TOKENS.V1']);
    return { kind: `schema:${schema}`, message: { key, value: JSON.stringify(base), headers: headers(schema) } };
  }
  if (r < 0.98) return { kind: 'tombstone', message: { key, value: null, headers: headers('tokens.v1') } };
  const big = JSON.stringify({ ...base, attributes: { note: 'x'.repeat(200) }, padding: 'p'.repeat(70_000) });
  return { kind: 'oversized', message: { key, value: big, headers: headers('tokens.v1') } };
}

/**
 * Writes poison to the token topic in small batches, keeping pace with `progress()` (valid events
 * accepted so far) so the poison is mixed into the stream rather than sent in one block.
 */
export class PoisonWriter {
  private readonly producer: Producer;
  readonly kinds: Record<string, number> = {};
  sent = 0;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  async run(
    random: () => number,
    models: readonly TokenUsageEventInput[],
    total: number,
    share: () => number,
    isDone: () => boolean,
  ): Promise<number> {
    await this.producer.connect();
    try {
      while (this.sent < total) {
        const due = isDone() ? total : Math.min(total, Math.floor(share() * total));
        if (due - this.sent < 25 && !isDone()) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        const messages: Message[] = [];
        for (; this.sent + messages.length < due && messages.length < 200;) {
          const p = poisonMessage(random, pick(random, models), Date.now());
          this.kinds[p.kind.split(':')[0] ?? p.kind] = (this.kinds[p.kind.split(':')[0] ?? p.kind] ?? 0) + 1;
          messages.push(p.message);
        }
        await this.producer.send({ topic: this.topic, acks: -1, messages });
        this.sent += messages.length;
      }
    } finally {
      await this.producer.disconnect();
    }
    return this.sent;
  }
}
