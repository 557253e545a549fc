import { randomBytes } from 'node:crypto';

/** The servers globalSetup started (or the external ones configured). */
export function serverEnv(): { kafkaBrokers: string; mongoUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const mongoUrl = process.env.MONGO_URL;
  if (!kafkaBrokers || !mongoUrl) throw new Error('KAFKA_BROKERS and MONGO_URL must be set (globalSetup sets them)');
  return { kafkaBrokers, mongoUrl };
}

/** A short random suffix so each test run has its own topics, groups and database. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}
