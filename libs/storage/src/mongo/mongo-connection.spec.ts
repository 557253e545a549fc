import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { Secret, StartupErrorCode } from '@tokenmeter/telemetry';
import { mongoAccessError, mongoSecurityOptions } from './mongo-connection';

describe('mongoSecurityOptions', () => {
  it('adds nothing without TLS or credentials', () => {
    expect(mongoSecurityOptions(undefined)).toEqual({});
    expect(mongoSecurityOptions({})).toEqual({});
  });

  it('passes the CA, the client certificate+key and the credentials to the driver', () => {
    expect(
      mongoSecurityOptions({
        tls: { ca: 'CA', cert: 'CERT+KEY', key: new Secret('CERT+KEY'), allowInvalidHostnames: true },
        credentials: { username: 'tokenmeter', password: new Secret('pw'), authSource: 'admin' },
      }),
    ).toEqual({
      tls: true,
      ca: 'CA',
      cert: 'CERT+KEY',
      key: 'CERT+KEY',
      tlsAllowInvalidHostnames: true,
      auth: { username: 'tokenmeter', password: 'pw' },
      authSource: 'admin',
    });
    expect(mongoSecurityOptions({ tls: { allowInvalidHostnames: false } })).toEqual({ tls: true });
  });
});

describe('mongoAccessError', () => {
  it('turns "Authentication failed" into a StartupError naming the variables', () => {
    const error = mongoAccessError(new MongoServerError({ message: 'Authentication failed.', code: 18 }));
    expect(error?.code).toBe(StartupErrorCode.MongoAuthentication);
    expect(error?.message).toMatch(/^MONGO_AUTHENTICATION: MongoDB refused the credentials: Authentication failed\./);
    expect(error?.message).toContain('MONGO_PASSWORD_FILE');
  });

  it('finds an untrusted certificate inside a server selection error', () => {
    const tls = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const network = new MongoNetworkError('unable to verify the first certificate', { cause: tls });
    const selection = new MongoServerSelectionError('unable to verify the first certificate', {
      servers: new Map([['127.0.0.1:27018', { error: network }]]),
    } as never);
    const error = mongoAccessError(selection);
    expect(error?.code).toBe(StartupErrorCode.MongoTls);
    expect(error?.message).toContain('unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(error?.message).toContain('MONGO_TLS_CA_FILE');
  });

  it('leaves other failures (a server that does not answer) to the caller', () => {
    expect(
      mongoAccessError(new MongoServerSelectionError('connect ECONNREFUSED', { servers: new Map() } as never)),
    ).toBeUndefined();
  });
});
