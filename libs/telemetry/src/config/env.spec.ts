import { thrownBy } from '../testing';
import { ConfigValidationError, env, readEnv, secretValues } from './env';
import { httpEnv, kafkaEnv, kafkaSettings, mongoEnv, mongoSettings } from './common';

const spec = {
  ...httpEnv(3001),
  ...kafkaEnv,
  ...mongoEnv,
};

describe('readEnv', () => {
  it('applies defaults and parses types', () => {
    const values = readEnv(spec, { KAFKA_BROKERS: 'a:9092, b:9093', MONGO_URL: 'mongodb://db:27017/x' });
    expect(values.HTTP_PORT).toBe(3001);
    expect(values.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(values.KAFKA_CREATE_TOPICS).toBe(true);
    expect(kafkaSettings(values, 'producer')).toMatchObject({
      clientId: 'tokenmeter-producer',
      topics: { tokens: 'telemetry.tokens.v1' },
    });
    expect(mongoSettings(values).dbName).toBe('x');
  });

  it('names every bad variable in one error and never echoes a value', () => {
    const secret = 'mongodb://user:hunter2@db:27017';
    const error = thrownBy(ConfigValidationError, () =>
      readEnv(spec, {
        HTTP_PORT: '70000',
        KAFKA_BROKERS: 'no-port',
        KAFKA_CREATE_TOPICS: 'perhaps',
        KAFKA_TOPIC_PARTITIONS: '1.5',
        MONGO_URL: `${secret} not a url`,
      }),
    );
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual([
      'HTTP_PORT',
      'KAFKA_BROKERS',
      'KAFKA_CREATE_TOPICS',
      'KAFKA_TOPIC_PARTITIONS',
      'MONGO_URL',
    ]);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('70000');
  });

  it('reports a missing required variable', () => {
    const error = thrownBy(ConfigValidationError, () => readEnv(spec, {}));
    expect(error.problems).toEqual([
      expect.stringMatching(/^KAFKA_BROKERS is required but not set/),
      expect.stringMatching(/^MONGO_URL is required but not set/),
    ]);
  });

  it('defaults the database name when the URL has no path', () => {
    const values = readEnv(spec, { KAFKA_BROKERS: 'a:1', MONGO_URL: 'mongodb://db:27017' });
    expect(mongoSettings(values).dbName).toBe('tokenmeter');
  });

  it('lists the values of secret variables for redaction checks', () => {
    expect(secretValues(mongoEnv, { MONGO_URL: 'mongodb://u:p@h/db' })).toEqual(['mongodb://u:p@h/db']);
  });

  it('validates enums and bounded integers', () => {
    const s = {
      LEVEL: env.oneOf(['a', 'b'] as const, { description: 'x', default: 'a' }),
      N: env.int({ description: 'n', min: 1, max: 3 }),
    };
    expect(readEnv(s, { LEVEL: 'b', N: '3' })).toEqual({ LEVEL: 'b', N: 3 });
    expect(thrownBy(ConfigValidationError, () => readEnv(s, { LEVEL: 'c', N: '0' })).problems).toHaveLength(2);
  });
});
