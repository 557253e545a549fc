#!/usr/bin/env node
// Exit 0 when a Kafka broker answers a metadata request (admin.listTopics), 1 otherwise.
// Usage: node scripts/dev/lib/kafka-ping.js [host:port[,host:port]]   (default $KAFKA_BROKERS or 127.0.0.1:19092)
'use strict';
const path = require('path');
const { Kafka, logLevel } = require(require.resolve('kafkajs', { paths: [path.resolve(__dirname, '../../..')] }));

const brokers = (process.argv[2] || process.env.KAFKA_BROKERS || '127.0.0.1:19092').split(',');
const kafka = new Kafka({
  clientId: 'tokenmeter-dev-ping',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
const timer = setTimeout(() => process.exit(1), 5000);
(async () => {
  await admin.connect();
  await admin.listTopics();
  await admin.disconnect();
  clearTimeout(timer);
  process.exit(0);
})().catch((e) => {
  if (process.env.DEBUG_PING) console.error(e);
  process.exit(1);
});
