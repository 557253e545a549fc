// Drops a test's own database with a plain driver client (independent of the code under test).
import { MongoClient } from 'mongodb';

export async function dropDatabase(mongoUrl: string, dbName: string): Promise<void> {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}
