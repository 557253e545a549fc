#!/usr/bin/env node
// Verifies the mongodb driver (and mongoose) from the repo's node_modules against a MongoDB
// wire-protocol server (FerretDB 1.24 locally, or real MongoDB via MONGO_URL).
// Usage: node scripts/dev/checks/mongo-check.js   (MONGO_URL, default mongodb://127.0.0.1:27018/tokenmeter)
// Prints PASS/FAIL per step plus NOTE lines for behaviour worth knowing; exit 0 when all PASS.
'use strict';
const path = require('path');
const assert = require('assert/strict');
const root = path.resolve(__dirname, '../../..');
const req = (m) => require(require.resolve(m, { paths: [root] }));
const { MongoClient, Long, MongoBulkWriteError, MongoServerError } = req('mongodb');
const driverVersion = req('mongodb/package.json').version;

const url = process.env.MONGO_URL || 'mongodb://127.0.0.1:27018/tokenmeter';
const run = Date.now().toString(36);
const results = [];
const notes = [];
const note = (s) => {
  notes.push(s);
  console.log(`  NOTE ${s}`);
};
async function step(name, fn) {
  const t0 = Date.now();
  try {
    const r = await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Date.now() - t0} ms)${r ? ' - ' + r : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}
const deviations = [];
// A probe of behaviour where FerretDB may differ from MongoDB. fn returns {same: bool, detail}.
// Deviations are reported, they do not fail the run (real MongoDB should print SAME for all).
async function probe(name, fn) {
  try {
    const { same, detail } = await fn();
    if (!same) deviations.push(`${name}: ${detail}`);
    console.log(`${same ? 'SAME     ' : 'DEVIATION'} ${name}${detail ? ' - ' + detail : ''}`);
  } catch (e) {
    deviations.push(`${name}: threw ${e.code || ''} ${String(e.message).slice(0, 100)}`);
    console.log(`DEVIATION ${name} - threw ${e.code || ''} ${String(e.message).slice(0, 100)}`);
  }
}
const errShape = (e) =>
  JSON.stringify({
    name: e.name,
    code: e.code,
    codeName: e.codeName,
    isBulk: e instanceof MongoBulkWriteError,
    isServer: e instanceof MongoServerError,
    writeErrors: Array.isArray(e.writeErrors)
      ? e.writeErrors.map((w) => ({ index: w.index, code: w.code, errmsg: String(w.errmsg).slice(0, 90) }))
      : e.writeErrors,
    insertedCount: e.result ? e.result.insertedCount : undefined,
    insertedIds: e.insertedIds,
    message: String(e.message).slice(0, 120),
  });

(async () => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db();
  const admin = db.admin();
  const bi = await admin.buildInfo().catch(() => ({}));
  const hello = await db.command({ hello: 1 });
  console.log(
    `mongodb driver ${driverVersion}; server version ${bi.version} ${bi.ferretdbVersion ? `(FerretDB ${bi.ferretdbVersion})` : '(real MongoDB?)'} maxWireVersion=${hello.maxWireVersion} db=${db.databaseName}`,
  );

  const c = db.collection(`check_usage_${run}`);

  await step('insertMany ordered:false with duplicate _id', async () => {
    await c.insertOne({ _id: 'a', n: 1 });
    try {
      await c.insertMany(
        [
          { _id: 'b', n: 2 },
          { _id: 'a', n: 3 },
          { _id: 'c', n: 4 },
          { _id: 'b', n: 5 },
          { _id: 'd', n: 6 },
        ],
        { ordered: false },
      );
      throw new Error('expected a duplicate key error');
    } catch (e) {
      if (!(e instanceof MongoServerError)) throw e;
      note(`insertMany unordered dup error: ${errShape(e)}`);
      assert.equal(e.code, 11000);
      assert.ok(e instanceof MongoBulkWriteError, 'MongoBulkWriteError');
      assert.deepEqual(
        e.writeErrors.map((w) => w.index),
        [1, 3],
      );
      assert.ok(e.writeErrors.every((w) => w.code === 11000));
      assert.equal(e.result.insertedCount, 3);
    }
    const ids = (
      await c
        .find({}, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((d) => d._id);
    assert.deepEqual(ids, ['a', 'b', 'c', 'd']);
    return 'code 11000, writeErrors at [1,3], insertedCount 3, non-dup docs stored';
  });

  await step('insertMany ordered:true stops at first duplicate', async () => {
    try {
      await c.insertMany([{ _id: 'e' }, { _id: 'a' }, { _id: 'f' }], { ordered: true });
      throw new Error('expected error');
    } catch (e) {
      if (!(e instanceof MongoServerError)) throw e;
      note(`insertMany ordered dup error: ${errShape(e)}`);
      assert.equal(e.code, 11000);
    }
    const ids = (await c.find({ _id: { $in: ['e', 'f'] } }).toArray()).map((d) => d._id);
    assert.deepEqual(ids, ['e']);
  });

  await step('insertOne duplicate -> MongoServerError 11000', async () => {
    try {
      await c.insertOne({ _id: 'a' });
      throw new Error('expected error');
    } catch (e) {
      if (!(e instanceof MongoServerError)) throw e;
      note(`insertOne dup error: ${errShape(e)}`);
      assert.equal(e.code, 11000);
    }
  });

  const agg = db.collection(`check_agg_${run}`);
  await step('createIndex unique compound + plain compound, listIndexes', async () => {
    const n1 = await agg.createIndex({ tenant: 1, bucket: 1, model: 1 }, { unique: true, name: 'uniq_bucket' });
    const n2 = await agg.createIndex({ tenant: 1, ts: -1 });
    const n3 = await agg.createIndex({ key: 1 }, { unique: true });
    const again = await agg.createIndex({ tenant: 1, bucket: 1, model: 1 }, { unique: true, name: 'uniq_bucket' });
    const idx = await agg.listIndexes().toArray();
    assert.equal(again, 'uniq_bucket');
    const u = idx.find((i) => i.name === 'uniq_bucket');
    assert.ok(u && u.unique === true);
    return `${[n1, n2, n3].join(', ')}; indexes=${idx.map((i) => i.name + (i.unique ? '(u)' : '')).join(',')}`;
  });

  const upd = (tenant, bucket, model, tokens, ts) => ({
    updateOne: {
      filter: { tenant, bucket, model },
      update: {
        $inc: { tokens, requests: 1, 'by.kind.input': tokens },
        $min: { firstTs: ts },
        $max: { lastTs: ts, peak: tokens },
        $set: { updatedAt: ts },
        $setOnInsert: { createdAt: ts, schema: 1 },
      },
      upsert: true,
    },
  });

  await step('bulkWrite updateOne upsert $inc/$min/$max/$set/$setOnInsert (insert path)', async () => {
    const t1 = new Date('2025-01-01T00:00:10Z');
    const r = await agg.bulkWrite(
      [upd('t1', 100, 'm1', 5, t1), upd('t1', 100, 'm2', 7, t1), upd('t2', 100, 'm1', 11, t1)],
      { ordered: false },
    );
    assert.equal(r.upsertedCount, 3);
    assert.equal(r.matchedCount, 0);
    const d = await agg.findOne({ tenant: 't1', bucket: 100, model: 'm1' });
    assert.equal(d.tokens, 5);
    assert.equal(d.requests, 1);
    assert.equal(d.by.kind.input, 5);
    assert.equal(d.peak, 5);
    assert.equal(d.schema, 1);
    assert.equal(d.firstTs.toISOString(), t1.toISOString());
    assert.equal(d.createdAt.toISOString(), t1.toISOString());
    return `upserted=${r.upsertedCount} upsertedIds keys=${Object.keys(r.upsertedIds).join(',')}`;
  });

  await step('bulkWrite updateOne upsert (update path: $setOnInsert skipped, $min/$max compare)', async () => {
    const t0 = new Date('2025-01-01T00:00:05Z');
    const t2 = new Date('2025-01-01T00:00:20Z');
    const r = await agg.bulkWrite(
      [upd('t1', 100, 'm1', 3, t0), upd('t1', 100, 'm1', 9, t2), upd('t1', 101, 'm1', 1, t2)],
      { ordered: true },
    );
    assert.equal(r.matchedCount, 2);
    assert.equal(r.modifiedCount, 2);
    assert.equal(r.upsertedCount, 1);
    const d = await agg.findOne({ tenant: 't1', bucket: 100, model: 'm1' });
    assert.equal(d.tokens, 17);
    assert.equal(d.requests, 3);
    assert.equal(d.by.kind.input, 17);
    assert.equal(d.peak, 9);
    assert.equal(d.firstTs.toISOString(), t0.toISOString());
    assert.equal(d.lastTs.toISOString(), t2.toISOString());
    assert.equal(d.createdAt.toISOString(), '2025-01-01T00:00:10.000Z', '$setOnInsert not re-applied');
    return `matched=${r.matchedCount} modified=${r.modifiedCount} upserted=${r.upsertedCount}`;
  });

  await probe('$inc int32 + int32 overflow promotes to Long', async () => {
    await agg.updateOne({ tenant: 'big', bucket: 1, model: 'x' }, { $inc: { tokens: 2147483000 } }, { upsert: true });
    await agg.updateOne({ tenant: 'big', bucket: 1, model: 'x' }, { $inc: { tokens: 2147483000 } });
    const d = await agg.findOne(
      { tenant: 'big', bucket: 1, model: 'x' },
      { promoteLongs: false, promoteValues: false },
    );
    const v = d.tokens;
    const same = String(v) === '4294966000';
    return {
      same,
      detail: `stored ${v && v._bsontype} ${String(v)}${same ? '' : ' (MongoDB: Long 4294966000; FerretDB silently wraps int32)'}`,
    };
  });

  await step('$inc with Long/BigInt keeps 64-bit counters (workaround for int32 wrap)', async () => {
    const f = { tenant: 'big', bucket: 2, model: 'x' };
    await agg.updateOne(f, { $inc: { tokens: 5n } }, { upsert: true });
    await agg.updateOne(f, { $inc: { tokens: Long.fromNumber(2147483647) } });
    await agg.updateOne(f, { $inc: { tokens: BigInt(2147483647) } });
    await agg.updateOne(f, { $inc: { tokens: 7 } }); // int32 added to a Long stays Long
    await agg.updateOne(f, { $max: { peak: Long.fromNumber(3e9) } });
    const d = await agg.findOne(f, { promoteLongs: false });
    assert.equal(d.tokens._bsontype, 'Long');
    assert.equal(String(d.tokens), String(5 + 2 * 2147483647 + 7));
    assert.equal(String(d.peak), '3000000000');
    return `Long ${String(d.tokens)}`;
  });

  await step('unique index violation via upsert/insert -> 11000', async () => {
    try {
      await agg.insertOne({ tenant: 't1', bucket: 100, model: 'm1', tokens: 0 });
      throw new Error('expected error');
    } catch (e) {
      if (!(e instanceof MongoServerError)) throw e;
      note(`unique index insert error: ${errShape(e)}`);
      assert.equal(e.code, 11000);
    }
    try {
      await agg.bulkWrite([{ insertOne: { document: { key: 'k1' } } }, { insertOne: { document: { key: 'k1' } } }], {
        ordered: false,
      });
      throw new Error('expected error');
    } catch (e) {
      if (!(e instanceof MongoServerError)) throw e;
      note(`bulkWrite insertOne unique error: ${errShape(e)}`);
      assert.equal(e.code, 11000);
      assert.equal(e.writeErrors.length, 1);
    }
  });

  await step('find range filter + sort + limit + projection', async () => {
    const ev = db.collection(`check_events_${run}`);
    await ev.insertMany(
      Array.from({ length: 50 }, (_, i) => ({
        tenant: i % 2 ? 'a' : 'b',
        ts: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
        n: i,
      })),
    );
    const rows = await ev
      .find(
        {
          tenant: 'a',
          ts: { $gte: new Date(Date.UTC(2025, 0, 1, 0, 0, 10)), $lt: new Date(Date.UTC(2025, 0, 1, 0, 0, 40)) },
        },
        { projection: { _id: 0, n: 1 } },
      )
      .sort({ ts: -1 })
      .limit(5)
      .toArray();
    assert.deepEqual(
      rows.map((r) => r.n),
      [39, 37, 35, 33, 31],
    );
    const skip = await ev
      .find({ n: { $in: [1, 2, 3, 4] } })
      .sort({ n: 1 })
      .skip(1)
      .limit(2)
      .toArray();
    assert.deepEqual(
      skip.map((r) => r.n),
      [2, 3],
    );
    const cnt = await ev.countDocuments({ n: { $gt: 45 } });
    assert.equal(cnt, 4);
    const est = await ev.estimatedDocumentCount();
    assert.equal(est, 50);
    return 'range/$in/sort/skip/limit/countDocuments/estimatedDocumentCount ok';
  });

  await step('aggregate $match/$group(one $sum)/$sort/$project/$limit/$skip/$unwind/$count', async () => {
    const r = await agg
      .aggregate([
        { $match: { tenant: { $in: ['t1', 't2'] } } },
        { $group: { _id: '$tenant', tokens: { $sum: '$tokens' } } },
        { $sort: { _id: 1 } },
        { $project: { _id: 1, tokens: 1 } },
      ])
      .toArray();
    assert.deepEqual(r, [
      { _id: 't1', tokens: 25 },
      { _id: 't2', tokens: 11 },
    ]);
    const docs = await agg
      .aggregate([{ $match: { tenant: 't1' } }, { $group: { _id: '$tenant', n: { $sum: 1 } } }])
      .toArray();
    assert.deepEqual(docs, [{ _id: 't1', n: 3 }]);
    const g2 = await agg
      .aggregate([
        { $match: { tenant: 't1' } },
        { $group: { _id: { b: '$bucket', m: '$model' }, s: { $sum: '$tokens' } } },
        { $sort: { s: -1 } },
        { $skip: 1 },
        { $limit: 1 },
      ])
      .toArray();
    assert.deepEqual(g2, [{ _id: { b: 100, m: 'm2' }, s: 7 }]);
    const u = db.collection(`check_unwind_${run}`);
    await u.insertMany([{ tags: ['x', 'y'] }, { tags: ['x'] }]);
    const uw = await u
      .aggregate([{ $unwind: '$tags' }, { $group: { _id: '$tags', c: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    assert.deepEqual(uw, [
      { _id: 'x', c: 2 },
      { _id: 'y', c: 1 },
    ]);
    const cnt = await agg.aggregate([{ $match: { tenant: 't1' } }, { $count: 'n' }]).toArray();
    assert.deepEqual(cnt, [{ n: 3 }]);
    return JSON.stringify(r);
  });

  await probe('$group with several accumulators computes all of them', async () => {
    const r = await agg
      .aggregate([
        { $match: { tenant: 't1' } },
        { $group: { _id: '$tenant', tokens: { $sum: '$tokens' }, docs: { $sum: 1 }, reqs: { $sum: '$requests' } } },
      ])
      .toArray();
    const same = r.length === 1 && r[0].tokens === 25 && r[0].docs === 3 && r[0].reqs === 5;
    return {
      same,
      detail: `got ${JSON.stringify(r)}${same ? '' : ' (expected tokens 25, docs 3, reqs 5: only the FIRST accumulator is computed, the rest are 0)'}`,
    };
  });

  await probe('$project / $addFields with a field path ("$tenant") computes the value', async () => {
    const r = await agg.aggregate([{ $match: { tenant: 't2' } }, { $project: { _id: 0, who: '$tenant' } }]).toArray();
    const same = r.length === 1 && r[0].who === 't2';
    return {
      same,
      detail: `got ${JSON.stringify(r)}${same ? '' : ' (the string "$tenant" is returned literally, no error)'}`,
    };
  });

  await step('probe: features the spec says are unavailable on FerretDB (informational)', async () => {
    const probes = {
      '$group $avg': [{ $group: { _id: null, a: { $avg: '$tokens' } } }],
      '$group $max': [{ $group: { _id: null, a: { $max: '$tokens' } } }],
      '$group $first': [{ $sort: { tokens: 1 } }, { $group: { _id: null, a: { $first: '$tokens' } } }],
      $dateTrunc: [{ $project: { d: { $dateTrunc: { date: '$updatedAt', unit: 'hour' } } } }],
      '$project arithmetic $add': [{ $project: { d: { $add: ['$tokens', 1] } } }],
      $lookup: [{ $lookup: { from: 'x', localField: 'a', foreignField: 'b', as: 'c' } }],
      $facet: [{ $facet: { a: [{ $limit: 1 }] } }],
    };
    const out = [];
    for (const [k, p] of Object.entries(probes)) {
      try {
        await agg.aggregate(p).toArray();
        out.push(`${k}=supported`);
      } catch (e) {
        out.push(`${k}=ERR ${e.code}`);
      }
    }
    try {
      await agg.createIndex({ updatedAt: 1 }, { expireAfterSeconds: 60 });
      out.push('TTL index=accepted');
    } catch (e) {
      out.push(`TTL index=ERR ${e.code}`);
    }
    try {
      await agg.createIndex({ model: 1 }, { partialFilterExpression: { tokens: { $gt: 0 } } });
      out.push('partial index=accepted');
    } catch (e) {
      out.push(`partial index=ERR ${e.code}`);
    }
    try {
      const r = await agg.findOneAndUpdate(
        { tenant: 't2' },
        { $inc: { tokens: 1 } },
        { returnDocument: 'after', projection: { tokens: 1 } },
      );
      out.push(`findOneAndUpdate+projection=${r && r.tenant === undefined ? 'ok' : 'returned ' + JSON.stringify(r)}`);
    } catch (e) {
      out.push(`findOneAndUpdate+projection=ERR ${e.code}`);
    }
    try {
      const before = (await agg.findOne({ tenant: 't2' })).tokens;
      const r = await agg.findOneAndUpdate({ tenant: 't2' }, { $inc: { tokens: 1 } }, { returnDocument: 'after' });
      out.push(
        `findOneAndUpdate(no projection)=${r && r.tokens === before + 1 ? 'ok' : 'returned ' + JSON.stringify(r)}`,
      );
    } catch (e) {
      out.push(`findOneAndUpdate=ERR ${e.code}`);
    }
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await agg.insertOne({ tx: 1 }, { session });
      });
      out.push('transaction=ok');
    } catch (e) {
      out.push(`transaction=ERR ${e.code || e.name} ${String(e.message).slice(0, 60)}`);
    } finally {
      await session.endSession();
    }
    note(`probes: ${out.join('; ')}`);
  });

  await probe('concurrent $inc upserts on one document are atomic (no lost updates)', async () => {
    const r = db.collection(`check_race_${run}`);
    await r.createIndex({ k: 1 }, { unique: true });
    const fire = () =>
      Promise.allSettled(
        Array.from({ length: 20 }, () => r.updateOne({ k: 'a' }, { $inc: { n: 1 } }, { upsert: true })),
      );
    const first = await fire(); // new document: MongoDB may reject some with 11000 (caller retries)
    const failed1 = first.filter((x) => x.status === 'rejected').length;
    const n1 = (await r.findOne({ k: 'a' })).n;
    await fire(); // existing document: MongoDB applies all 20 atomically
    const n2 = (await r.findOne({ k: 'a' })).n;
    const same = n1 === 20 - failed1 && n2 === n1 + 20;
    return {
      same,
      detail: `new doc: ${failed1} rejected, n=${n1}; then 20 more concurrent $inc: n=${n2} (atomic would be ${n1 + 20})${same ? '' : ' - updates are lost silently'}`,
    };
  });

  await step('deleteMany', async () => {
    const r = await agg.deleteMany({ tenant: 't1', bucket: { $gte: 100 } });
    assert.equal(r.deletedCount, 3);
    const r2 = await agg.deleteMany({ tenant: 'nobody' });
    assert.equal(r2.deletedCount, 0);
    return `deletedCount=${r.deletedCount}`;
  });

  await step('mongoose connect, schema indexes (syncIndexes), create, upsert, lean find', async () => {
    const mongoose = req('mongoose');
    const conn = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 5000, autoIndex: false }).asPromise();
    const schema = new mongoose.Schema(
      { tenant: { type: String, required: true }, bucket: Number, tokens: { type: Number, default: 0 } },
      { collection: `check_mongoose_${run}`, timestamps: true },
    );
    schema.index({ tenant: 1, bucket: 1 }, { unique: true });
    const M = conn.model('CheckUsage', schema);
    await M.syncIndexes();
    await M.create({ tenant: 'a', bucket: 1, tokens: 3 });
    await M.updateOne({ tenant: 'a', bucket: 1 }, { $inc: { tokens: 2 } }, { upsert: true });
    await M.updateOne(
      { tenant: 'b', bucket: 1 },
      { $inc: { tokens: 2 }, $setOnInsert: { createdBy: 'x' } },
      { upsert: true, strict: false },
    );
    const rows = await M.find({ bucket: { $gte: 1 } })
      .sort({ tenant: 1 })
      .lean();
    assert.deepEqual(
      rows.map((r) => r.tokens),
      [5, 2],
    );
    let dup = null;
    try {
      await M.create({ tenant: 'a', bucket: 1 });
    } catch (e) {
      dup = e;
    }
    assert.ok(dup && dup.code === 11000, 'mongoose duplicate -> 11000');
    await M.collection.drop();
    await conn.close();
    return `mongoose ${mongoose.version}`;
  });

  await step('drop test collections', async () => {
    for (const coll of await db.listCollections({ name: { $regex: `_${run}$` } }).toArray()) {
      await db.collection(coll.name).drop();
    }
  });
  await client.close();

  const failed = results.filter((r) => !r.ok);
  console.log(
    `${deviations.length} deviation(s) from MongoDB behaviour${deviations.length ? ':\n  - ' + deviations.join('\n  - ') : ''}`,
  );
  console.log(
    failed.length ? `${failed.length} FAILED: ${failed.map((f) => f.name).join('; ')}` : `ALL ${results.length} PASSED`,
  );
  process.exit(failed.length ? 1 : 0);
})().catch((e) => {
  console.error('FATAL', e);
  process.exit(2);
});
setTimeout(() => {
  console.error('FATAL: overall deadline (90 s) exceeded');
  process.exit(2);
}, 90000).unref();
