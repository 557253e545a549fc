import { KafkaJSConnectionError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { StartupError, StartupErrorCode } from '../boot/startup-error';
import type { KafkaSettings } from '../config/common';
import { Secret } from '../config/secret';
import { kafkaAccessError, kafkaSecurityOptions } from './kafka-client';

const settings = (security: KafkaSettings['security']): KafkaSettings => ({
  brokers: ['b:9093'],
  clientId: 'tokenmeter-test',
  topics: { tokens: 't', gpu: 'g', dlq: 'd' },
  createTopics: true,
  topicPartitions: 1,
  replicationFactor: 1,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 1_000,
  ...(security === undefined ? {} : { security }),
});

const SASL_SSL: KafkaSettings['security'] = {
  protocol: 'sasl_ssl',
  tls: { ca: 'CA-PEM', servername: 'kafka.internal' },
  sasl: { mechanism: 'scram-sha-512', username: 'tokenmeter', password: new Secret('hunter2') },
};

describe('kafkaSecurityOptions', () => {
  it('adds nothing for plaintext (the default)', () => {
    expect(kafkaSecurityOptions(undefined)).toEqual({});
    expect(kafkaSecurityOptions({ protocol: 'plaintext' })).toEqual({});
  });

  it('builds ssl (always verifying the broker) and sasl for sasl_ssl', () => {
    expect(kafkaSecurityOptions(SASL_SSL)).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['CA-PEM'], servername: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'tokenmeter', password: 'hunter2' },
    });
  });

  it('builds ssl with a client certificate for mutual TLS and no sasl for ssl; system CAs without a CA file', () => {
    expect(kafkaSecurityOptions({ protocol: 'ssl', tls: { cert: 'CERT-PEM', key: new Secret('KEY-PEM') } })).toEqual({
      ssl: { rejectUnauthorized: true, cert: 'CERT-PEM', key: 'KEY-PEM' },
    });
  });
});

describe('kafkaAccessError', () => {
  it('turns refused SASL credentials into a StartupError naming the user and the variables, not the password', () => {
    // The real class (kafkajs's typings omit its constructor's message argument).
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const error = kafkaAccessError(
      new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials'),
      settings(SASL_SSL),
    );
    expect(error).toBeInstanceOf(StartupError);
    expect(error?.code).toBe(StartupErrorCode.KafkaAuthentication);
    expect(error?.message).toMatch(
      /^KAFKA_AUTHENTICATION: Kafka refused the SASL credentials \(SCRAM-SHA-512 as user "tokenmeter"\)/,
    );
    expect(error?.message).toContain('KAFKA_SASL_PASSWORD');
    expect(error?.message).not.toContain('hunter2');
  });

  it('finds a certificate failure inside kafkajs retry wrappers', () => {
    const tls = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    // kafkajs's retrier wraps the last failure as `originalError` (its typings omit the constructor's arguments).
    const retried = Object.assign(new Error(tls.message), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: tls,
    });
    const error = kafkaAccessError(retried, settings(SASL_SSL));
    expect(error?.code).toBe(StartupErrorCode.KafkaTls);
    expect(error?.message).toContain('self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)');
    expect(error?.message).toContain('KAFKA_TLS_CA_FILE');
  });

  it('leaves other failures (an unreachable broker) to the caller', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
      code: 'ECONNREFUSED',
    });
    expect(kafkaAccessError(refused, settings(undefined))).toBeUndefined();
    expect(kafkaAccessError(new Error('boom'), settings(undefined))).toBeUndefined();
  });
});
