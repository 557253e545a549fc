import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { thrownBy } from '../testing';
import { kafkaEnv, kafkaSettings, mongoEnv, mongoSettings } from './common';
import { ConfigValidationError, readEnv, secretValues } from './env';
import { Secret } from './secret';

// Content checks read the PEM structure and parse keys; a certificate only needs its armour.
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBdGVzdA==\n-----END CERTIFICATE-----\n';
const KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
const ENCRYPTED_KEY_PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
  cipher: 'aes-256-cbc',
  passphrase: 'x',
}) as string;

let dir: string;
const file = (name: string, contents: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, contents);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tm-transport-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = { KAFKA_BROKERS: 'b:9093', MONGO_URL: 'mongodb://db:27017/tm' };
const spec = { ...kafkaEnv, ...mongoEnv };
const read = (vars: Record<string, string>) => readEnv(spec, { ...BASE, ...vars });
/** The problems without the description that readEnv appends to a single variable's problem. */
const withoutDescriptions = (problems: readonly string[]) =>
  problems.map((p) => {
    const description = spec[p.split(' ')[0] as keyof typeof spec]?.description ?? '';
    return p.endsWith(` (${description})`) ? p.slice(0, -description.length - 3) : p;
  });
const problemsOf = (vars: Record<string, string>) =>
  withoutDescriptions(thrownBy(ConfigValidationError, () => read(vars)).problems);

describe('Kafka transport security config', () => {
  it('is plaintext with no variable set', () => {
    expect(kafkaSettings(read({}), 'producer').security).toEqual({ protocol: 'plaintext' });
  });

  it('reads SASL_SSL with a password file (trailing newline dropped) and a CA bundle', () => {
    const settings = kafkaSettings(
      read({
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_SASL_USERNAME: 'tokenmeter',
        KAFKA_SASL_PASSWORD_FILE: file('pw', 's3cret-pw\n'),
        KAFKA_TLS_CA_FILE: file('ca.pem', CERT_PEM),
        KAFKA_TLS_SERVERNAME: 'kafka.internal',
      }),
      'producer',
    );
    expect(settings.security).toMatchObject({
      protocol: 'sasl_ssl',
      tls: { ca: CERT_PEM, servername: 'kafka.internal' },
      sasl: { mechanism: 'scram-sha-512', username: 'tokenmeter' },
    });
    if (settings.security?.protocol !== 'sasl_ssl') throw new Error('expected sasl_ssl');
    expect(settings.security.sasl.password.reveal()).toBe('s3cret-pw');
  });

  it('reads ssl with a client certificate and key (mutual TLS) and SCRAM-SHA-256 from the environment', () => {
    const e = read({
      KAFKA_SECURITY_PROTOCOL: 'ssl',
      KAFKA_TLS_CERT_FILE: file('client.pem', CERT_PEM),
      KAFKA_TLS_KEY_FILE: file('client.key', KEY_PEM),
    });
    const security = kafkaSettings(e, 'p').security;
    expect(security).toMatchObject({ protocol: 'ssl', tls: { cert: CERT_PEM } });
    if (security?.protocol !== 'ssl') throw new Error('expected ssl');
    expect(security.tls.key?.reveal()).toBe(KEY_PEM);
    expect(security.tls.ca).toBeUndefined();

    const sasl = kafkaSettings(
      read({
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'from-env',
      }),
      'p',
    ).security;
    expect(sasl).toMatchObject({ protocol: 'sasl_ssl', sasl: { mechanism: 'scram-sha-256', username: 'u' } });
  });

  it('names every invalid combination in one error, never a value', () => {
    const error = thrownBy(ConfigValidationError, () =>
      read({
        KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
        KAFKA_SASL_PASSWORD: 'hunter2-in-env',
        KAFKA_SASL_PASSWORD_FILE: file('pw2', 'hunter2-in-file'),
        KAFKA_TLS_CERT_FILE: file('only-cert.pem', CERT_PEM),
      }),
    );
    expect(withoutDescriptions(error.problems)).toEqual([
      'KAFKA_SASL_USERNAME is required when KAFKA_SECURITY_PROTOCOL is sasl_ssl',
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set; set exactly one',
      'KAFKA_TLS_CERT_FILE is set without KAFKA_TLS_KEY_FILE; set both or neither',
    ]);
    expect(error.message).not.toMatch(/hunter2|only-cert/);
  });

  it('requires a password with sasl_ssl and rejects SASL and TLS variables with plaintext', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SECURITY_PROTOCOL is sasl_ssl',
    ]);
    expect(
      problemsOf({
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_TLS_CA_FILE: file('ca2.pem', CERT_PEM),
        KAFKA_TLS_SERVERNAME: 'kafka',
      }),
    ).toEqual([
      'KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL is plaintext; it is used only with sasl_ssl',
      'KAFKA_SASL_PASSWORD is set but KAFKA_SECURITY_PROTOCOL is plaintext; it is used only with sasl_ssl',
      'KAFKA_TLS_CA_FILE is set but KAFKA_SECURITY_PROTOCOL is plaintext; it is used only with ssl or sasl_ssl',
      'KAFKA_TLS_SERVERNAME is set but KAFKA_SECURITY_PROTOCOL is plaintext; it is used only with ssl or sasl_ssl',
    ]);
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL is ssl; it is used only with sasl_ssl',
    ]);
  });

  it('reports missing, unreadable, empty and malformed files as problems of their variable', () => {
    const unreadable = file('unreadable.pem', CERT_PEM);
    chmodSync(unreadable, 0o000);
    const rootCanRead = process.getuid?.() === 0;
    const problems = problemsOf({
      KAFKA_SECURITY_PROTOCOL: 'sasl_ssl',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'no-such-file'),
      KAFKA_TLS_CA_FILE: file('not-pem.pem', 'hello'),
      KAFKA_TLS_CERT_FILE: rootCanRead ? file('empty.pem', '') : unreadable,
      KAFKA_TLS_KEY_FILE: file('encrypted.key', ENCRYPTED_KEY_PEM),
    });
    expect(problems).toEqual([
      'KAFKA_SASL_PASSWORD_FILE names a file that cannot be read (ENOENT)',
      'KAFKA_TLS_CA_FILE must name a PEM file with at least one certificate',
      rootCanRead
        ? 'KAFKA_TLS_CERT_FILE names an empty file'
        : 'KAFKA_TLS_CERT_FILE names a file that cannot be read (EACCES)',
      'KAFKA_TLS_KEY_FILE must name a PEM file with an unencrypted private key that can be read',
    ]);
    expect(problems.join('\n')).not.toContain(dir);
  });

  it('marks the password, the password file and the private key secret, and lists their values', () => {
    expect(kafkaEnv.KAFKA_SASL_PASSWORD.secret).toBe(true);
    expect(kafkaEnv.KAFKA_SASL_PASSWORD_FILE.secret).toBe(true);
    expect(kafkaEnv.KAFKA_TLS_KEY_FILE.secret).toBe(true);
    expect(kafkaEnv.KAFKA_TLS_CA_FILE.secret).toBe(false);
    const values = secretValues(kafkaEnv, {
      KAFKA_SASL_PASSWORD: 'env-pw',
      KAFKA_SASL_PASSWORD_FILE: file('pw3', 'file-pw\n'),
      KAFKA_TLS_KEY_FILE: file('k.key', KEY_PEM),
      KAFKA_TLS_CA_FILE: file('ca3.pem', CERT_PEM),
    });
    expect(values).toEqual(['env-pw', 'file-pw', KEY_PEM]);
  });
});

describe('MongoDB transport security config', () => {
  it('is nothing beyond MONGO_URL with no variable set', () => {
    expect(mongoSettings(read({})).security).toEqual({});
  });

  it('reads TLS with a CA, a client certificate+key file and credentials from a file', () => {
    const security = mongoSettings(
      read({
        MONGO_TLS_CA_FILE: file('mca.pem', CERT_PEM),
        MONGO_TLS_CERT_KEY_FILE: file('client-cert-key.pem', CERT_PEM + KEY_PEM),
        MONGO_USERNAME: 'tokenmeter',
        MONGO_PASSWORD_FILE: file('mpw', 'mongo-pw\n'),
        MONGO_AUTH_SOURCE: 'admin',
      }),
    ).security;
    expect(security).toMatchObject({
      tls: { ca: CERT_PEM, cert: CERT_PEM + KEY_PEM, allowInvalidHostnames: false },
      credentials: { username: 'tokenmeter', authSource: 'admin' },
    });
    expect(security?.credentials?.password.reveal()).toBe('mongo-pw');
    expect(mongoSettings(read({ MONGO_TLS: 'true' })).security).toEqual({ tls: { allowInvalidHostnames: false } });
  });

  it('names every invalid combination in one error', () => {
    expect(
      problemsOf({
        MONGO_URL: 'mongodb://u:url-pw@db:27017/tm',
        MONGO_USERNAME: 'tokenmeter',
        MONGO_PASSWORD: 'a',
        MONGO_PASSWORD_FILE: file('mpw2', 'b'),
        MONGO_TLS_CERT_KEY_FILE: file('cert-only.pem', CERT_PEM),
      }),
    ).toEqual([
      'MONGO_TLS_CERT_KEY_FILE must name a PEM file with a private key',
      'MONGO_USERNAME is set but MONGO_URL carries credentials too; keep them in one place',
      'MONGO_PASSWORD and MONGO_PASSWORD_FILE are both set; set exactly one',
    ]);
    expect(problemsOf({ MONGO_USERNAME: 'u' })).toEqual([
      'MONGO_PASSWORD or MONGO_PASSWORD_FILE is required with MONGO_USERNAME',
    ]);
    expect(problemsOf({ MONGO_PASSWORD_FILE: file('mpw3', 'c') })).toEqual([
      'MONGO_PASSWORD_FILE is set without MONGO_USERNAME',
    ]);
  });

  it('marks the password, the password file and the client key file secret', () => {
    expect(mongoEnv.MONGO_PASSWORD.secret).toBe(true);
    expect(mongoEnv.MONGO_PASSWORD_FILE.secret).toBe(true);
    expect(mongoEnv.MONGO_TLS_CERT_KEY_FILE.secret).toBe(true);
    expect(mongoEnv.MONGO_TLS_CA_FILE.secret).toBe(false);
  });
});

describe('Secret', () => {
  it('never prints its value, in strings, JSON or inspection', () => {
    const secret = new Secret('hunter2');
    const holder = { sasl: { password: secret } };
    expect(`${String(secret)} ${JSON.stringify(holder)} ${inspect(holder, { depth: 5 })}`).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2');
  });
});
