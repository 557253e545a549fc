#!/usr/bin/env node
// Exit 0 when a MongoDB wire-protocol server answers {ping: 1}, 1 otherwise.
// Usage: node scripts/dev/lib/mongo-ping.js [mongodb://...]   (default $MONGO_URL or mongodb://127.0.0.1:27018/tokenmeter)
'use strict';
const path = require('path');
const { MongoClient } = require(require.resolve('mongodb', { paths: [path.resolve(__dirname, '../../..')] }));

const url = process.argv[2] || process.env.MONGO_URL || 'mongodb://127.0.0.1:27018/tokenmeter';
const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
const timer = setTimeout(() => process.exit(1), 5000);
(async () => {
  await client.connect();
  await client.db().command({ ping: 1 });
  await client.close();
  clearTimeout(timer);
  process.exit(0);
})().catch((e) => {
  if (process.env.DEBUG_PING) console.error(e);
  process.exit(1);
});
