import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { javaCompatiblePartitioner, murmur2 } from './partitioner';

// kafkajs's own implementation, the reference (not part of its typed API).
const kafkajsMurmur2 = createRequire(__filename)('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer,
) => number;

const metadata = (count: number, leaderless: number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it("gives Kafka's published test vectors (clients UtilsTest)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('equals kafkajs’s implementation for random keys of every length up to 80 bytes', () => {
    for (let length = 0; length <= 80; length += 1) {
      for (let n = 0; n < 25; n += 1) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
  });
});

describe('javaCompatiblePartitioner', () => {
  const ours = javaCompatiblePartitioner();
  const theirs = Partitioners.DefaultPartitioner();

  it('puts every key on the partition kafkajs’s DefaultPartitioner picks', () => {
    for (const partitions of [1, 3, 6, 12]) {
      for (let n = 0; n < 200; n += 1) {
        const key = `tenant-${n % 7}|model-${n}|node-${n % 5}`;
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition', () => {
    expect(ours({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: 'v', partition: 4 } })).toBe(
      4,
    );
  });

  it('spreads messages without a key round-robin over the partitions that have a leader', () => {
    const seen = new Set<number>();
    for (let n = 0; n < 12; n += 1) {
      seen.add(ours({ topic: 'rr', partitionMetadata: metadata(4, [2]), message: { value: 'v' } }));
    }
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });
});
