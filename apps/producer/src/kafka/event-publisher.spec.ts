import { isOutage, planProduceRequests } from './event-publisher';

const message = (i: number, valueBytes = 100) => ({ key: `k${i}`, value: 'x'.repeat(valueBytes), headers: {} });

describe('planProduceRequests', () => {
  it('merges small publishes into one produce request, grouped by topic', () => {
    const requests = planProduceRequests(
      [
        { topic: 'a', messages: [message(1), message(2)] },
        { topic: 'b', messages: [message(3)] },
        { topic: 'a', messages: [message(4)] },
      ],
      10_000,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.owners).toEqual([0, 1, 2]);
    expect(requests[0]?.topicMessages.map((t) => [t.topic, t.messages.map((m) => m.key)])).toEqual([
      ['a', ['k1', 'k2', 'k4']],
      ['b', ['k3']],
    ]);
  });

  it('never builds a request over the byte limit, splitting one publish across requests when needed', () => {
    const big = Array.from({ length: 25 }, (_, i) => message(i, 1_000));
    const requests = planProduceRequests(
      [
        { topic: 'a', messages: big },
        { topic: 'a', messages: [message(99, 1_000)] },
      ],
      5_000,
    );
    // 26 messages of ~1,074 bytes, at most 4 per 5,000-byte request.
    expect(requests).toHaveLength(7);
    expect(requests.flatMap((r) => r.topicMessages.flatMap((t) => t.messages.map((m) => m.key)))).toEqual([
      ...big.map((m) => m.key),
      'k99',
    ]);
    expect(requests[0]?.owners).toEqual([0]);
    expect(requests[requests.length - 1]?.owners).toEqual([0, 1]);
  });

  it('sends a single message larger than the limit on its own', () => {
    const requests = planProduceRequests([{ topic: 'a', messages: [message(1, 50), message(2, 9_000)] }], 5_000);
    expect(requests.map((r) => r.topicMessages[0]?.messages.length)).toEqual([1, 1]);
  });
});

describe('isOutage', () => {
  it('treats connection trouble and timeouts as an outage, a refused message as not', () => {
    expect(isOutage(new Error('Kafka did not acknowledge within 5000 ms'))).toBe(true);
    const connection = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    expect(isOutage(Object.assign(new Error('retries exceeded'), { originalError: connection }))).toBe(true);
    const tooLarge = Object.assign(new Error('message too large'), { name: 'KafkaJSProtocolError', retriable: false });
    expect(isOutage(tooLarge)).toBe(false);
    expect(isOutage(Object.assign(new Error('retries exceeded'), { originalError: tooLarge }))).toBe(false);
  });
});
