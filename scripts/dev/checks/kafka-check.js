#!/usr/bin/env node
// Verifies kafkajs (from the repo's node_modules) against a running broker.
// Usage: node scripts/dev/checks/kafka-check.js   (KAFKA_BROKERS, default 127.0.0.1:19092)
// Exit 0 when every step passes; prints one line per step.
'use strict';
const path = require('path');
const assert = require('assert/strict');
const root = path.resolve(__dirname, '../../..');
const kafkajsPkg = require(require.resolve('kafkajs/package.json', { paths: [root] }));
const { Kafka, logLevel, CompressionTypes } = require(require.resolve('kafkajs', { paths: [root] }));

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:19092').split(',');
const run = `${Date.now().toString(36)}`;
const topicA = `check.usage.${run}`;
const topicB = `check.other.${run}`;
const groupId = `check-group-${run}`;
const PARTITIONS = 6;
const N = 600;

const kafka = new Kafka({
  clientId: 'tokenmeter-check',
  brokers,
  logLevel:
    process.env.KAFKA_CHECK_DEBUG === '2'
      ? logLevel.DEBUG
      : process.env.KAFKA_CHECK_DEBUG
        ? logLevel.INFO
        : logLevel.WARN,
  retry: { retries: 5 },
});

const results = [];
async function step(name, fn) {
  const t0 = Date.now();
  try {
    const r = await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - t0} ms)${r ? ' - ' + r : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}`);
    if (e && e.type) console.log(`     kafkajs error type=${e.type} code=${e.code}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(100);
  }
  throw new Error(`timeout waiting for ${what}`);
}

(async () => {
  console.log(`kafkajs ${kafkajsPkg.version}, brokers ${brokers.join(',')}`);
  const admin = kafka.admin();
  await admin.connect();

  await step('admin.describeCluster + ApiVersions', async () => {
    const c = await admin.describeCluster();
    return `clusterId=${c.clusterId} controller=${c.controller} brokers=${c.brokers.length}`;
  });

  await step('admin.createTopics (6 partitions, RF 1)', async () => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topicA, numPartitions: PARTITIONS, replicationFactor: 1 },
        {
          topic: topicB,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '3600000' }],
        },
      ],
    });
    assert.equal(created, true);
    const again = await admin.createTopics({ topics: [{ topic: topicA, numPartitions: PARTITIONS }] });
    assert.equal(again, false, 'createTopics of an existing topic should return false');
    const list = await admin.listTopics();
    assert.ok(list.includes(topicA) && list.includes(topicB));
    const md = await admin.fetchTopicMetadata({ topics: [topicA] });
    assert.equal(md.topics[0].partitions.length, PARTITIONS);
    return 'second create returns false; metadata ok';
  });

  await step('auto.create.topics.enable=false: produce to unknown topic fails', async () => {
    const p = kafka.producer({ retry: { retries: 1 } });
    await p.connect();
    try {
      await p.send({ topic: `check.missing.${run}`, acks: -1, messages: [{ value: 'x' }] });
      await p.disconnect();
      return 'WARNING: broker auto-created the topic';
    } catch (e) {
      await p.disconnect();
      return `rejected (${e.name}: ${e.message.slice(0, 80)})`;
    }
  });

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

  await step('producer.send acks=-1, compression none, keyed, with headers', async () => {
    const msgs = Array.from({ length: N / 2 }, (_, i) => ({
      key: `tenant-${i % 17}`,
      value: JSON.stringify({ i, tokens: i * 3 }),
      headers: { 'x-run': run },
    }));
    const res = await producer.send({ topic: topicA, acks: -1, compression: CompressionTypes.None, messages: msgs });
    assert.ok(res.length > 0 && res.every((r) => r.errorCode === 0));
    return `${res.length} partition results`;
  });

  await step('producer.sendBatch acks=-1 to two topics', async () => {
    const res = await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [
        { topic: topicA, messages: Array.from({ length: N / 2 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) },
        { topic: topicB, messages: [{ key: 'a', value: 'b' }] },
      ],
    });
    return `${res.length} partition results`;
  });

  await step('idempotent producer (InitProducerId, acks=-1)', async () => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    await p.send({ topic: topicB, acks: -1, messages: [{ key: 'i', value: 'idem' }] });
    await p.disconnect();
  });

  await step('transactional producer (commit)', async () => {
    const p = kafka.producer({ transactionalId: `check-tx-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    const tx = await p.transaction();
    await tx.send({ topic: topicB, messages: [{ key: 't', value: 'tx' }] });
    await tx.commit();
    await p.disconnect();
  });

  await step('admin.fetchTopicOffsets', async () => {
    const offs = await admin.fetchTopicOffsets(topicA);
    const total = offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
    assert.equal(total, N);
    return `high watermarks sum ${total}`;
  });

  // --- consumer group: eachBatch, manual commits, two members rebalancing ---
  const seen = new Map(); // `${partition}:${offset}` -> member
  const assignments = {};
  const makeConsumer = (name) => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10000,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      assignments[name] = (e.payload.memberAssignment[topicA] || []).slice().sort((a, b) => a - b);
      if (process.env.KAFKA_CHECK_DEBUG)
        console.log(
          `  ${name} joined gen ${e.payload.groupId} assignment ${JSON.stringify(e.payload.memberAssignment)}`,
        );
    });
    c.runner = async () => {
      await c.connect();
      await c.subscribe({ topics: [topicA], fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          let last = null;
          for (const m of batch.messages) {
            if (!isRunning() || isStale()) break;
            const k = `${batch.partition}:${m.offset}`;
            seen.set(k, (seen.get(k) || []).concat(name));
            resolveOffset(m.offset);
            last = m.offset;
          }
          if (last !== null) {
            await c.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
            ]);
          }
          await heartbeat();
        },
      });
    };
    return c;
  };

  const c1 = makeConsumer('c1');
  const c2 = makeConsumer('c2');

  await step('consumer c1 eachBatch + manual commitOffsets consumes all', async () => {
    await c1.runner();
    await until(() => seen.size >= N, 30000, `c1 to see ${N} messages (saw ${seen.size})`);
    assert.deepEqual(assignments.c1, [0, 1, 2, 3, 4, 5]);
    return `${seen.size} messages, c1 owns ${JSON.stringify(assignments.c1)}`;
  });

  await step('committed offsets equal high watermarks (admin.fetchOffsets)', async () => {
    const high = await admin.fetchTopicOffsets(topicA);
    await until(
      async () => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [topicA] });
        return t.partitions.every((p) => p.offset === high.find((h) => h.partition === p.partition).high);
      },
      10000,
      'committed offsets',
    );
  });

  await step('second consumer c2 joins same group -> rebalance splits partitions', async () => {
    const t0 = Date.now();
    await c2.runner();
    await until(
      () => assignments.c2 && assignments.c2.length > 0 && assignments.c1.length < PARTITIONS,
      30000,
      'rebalance',
    );
    const union = [...assignments.c1, ...assignments.c2].sort((a, b) => a - b);
    assert.deepEqual(union, [0, 1, 2, 3, 4, 5]);
    return `after ${Date.now() - t0} ms: c1=${JSON.stringify(assignments.c1)} c2=${JSON.stringify(assignments.c2)}`;
  });

  await step('after rebalance: new messages consumed once, by the partition owner', async () => {
    const before = seen.size;
    await producer.send({
      topic: topicA,
      acks: -1,
      messages: Array.from({ length: 120 }, (_, i) => ({ key: `r${i}`, value: `r${i}` })),
    });
    await until(() => seen.size >= before + 120, 20000, 'post-rebalance messages');
    await sleep(500);
    const dupes = [...seen.values()].filter((v) => v.length > 1).length;
    const byMember = { c1: 0, c2: 0 };
    for (const v of [...seen.values()].slice(before)) byMember[v[0]]++;
    assert.equal(dupes, 0, 'no message delivered twice');
    assert.ok(byMember.c1 > 0 && byMember.c2 > 0, 'both members got messages');
    return `c1=${byMember.c1} c2=${byMember.c2}, duplicates=0`;
  });

  await step('c1 leaves -> c2 takes all partitions, continues from committed offsets', async () => {
    await c1.disconnect();
    await until(() => assignments.c2 && assignments.c2.length === PARTITIONS, 30000, 'c2 to own all partitions');
    const before = seen.size;
    await producer.send({
      topic: topicA,
      acks: -1,
      messages: Array.from({ length: 60 }, (_, i) => ({ key: `s${i}`, value: `s${i}` })),
    });
    await until(() => seen.size >= before + 60, 20000, 'messages after c1 left');
    await sleep(500);
    const dupes = [...seen.values()].filter((v) => v.length > 1).length;
    assert.equal(dupes, 0, 'no redelivery after handover');
    return `c2=${JSON.stringify(assignments.c2)}, total seen ${seen.size}, duplicates=0`;
  });

  await step('admin.describeGroups / listGroups', async () => {
    const g = await admin.describeGroups([groupId]);
    const l = await admin.listGroups();
    assert.ok(l.groups.some((x) => x.groupId === groupId));
    return `state=${g.groups[0].state} protocolType=${g.groups[0].protocolType} members=${g.groups[0].members.length}`;
  });

  await c2.disconnect();
  await producer.disconnect();

  await step('admin.resetOffsets / setOffsets on an empty group', async () => {
    await admin.setOffsets({ groupId, topic: topicA, partitions: [{ partition: 0, offset: '0' }] });
    await admin.resetOffsets({ groupId, topic: topicA, earliest: true });
  });

  await step('admin.deleteTopics', async () => {
    await admin.deleteTopics({ topics: [topicA, topicB], timeout: 10000 });
  });
  await admin.disconnect();

  const failed = results.filter((r) => !r.ok);
  console.log(
    failed.length ? `${failed.length} FAILED: ${failed.map((f) => f.name).join('; ')}` : `ALL ${results.length} PASSED`,
  );
  process.exit(failed.length ? 1 : 0);
})().catch((e) => {
  console.error('FATAL', e);
  process.exit(2);
});
setTimeout(() => {
  console.error('FATAL: overall deadline (120 s) exceeded');
  process.exit(2);
}, 120000).unref();
