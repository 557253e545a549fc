// Drops a test's own database with a plain driver client (independent of the code under test).
import { Binary, BSON, type Db, type Document, MongoClient } from 'mongodb';

export async function dropDatabase(mongoUrl: string, dbName: string): Promise<void> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

/**
 * Every document of a raw collection with every field a field, whichever layout the processor
 * wrote (the point-read dialect packs all but `_id`, `time` and `src` into the Binary `b`).
 * Written out here, not imported from libs/storage, so the checks share no code with the writer.
 */
export async function rawDocuments<T extends Document = Document>(
  db: Db,
  collection: string,
  filter: (doc: Document) => boolean = () => true,
): Promise<T[]> {
  const stored = await db.collection(collection).find({}).toArray();
  return stored
    .map((doc) => {
      const { b, ...kept } = doc;
      if (!(b instanceof Binary)) return doc;
      return { ...BSON.deserialize(b.buffer.subarray(0, b.position)), ...kept };
    })
    .filter(filter) as unknown as T[];
}
