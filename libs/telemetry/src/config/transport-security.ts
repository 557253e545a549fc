// Transport security of the two backing services (issue 8): Kafka over TLS with optional
// SASL/SCRAM, MongoDB over TLS with optional username/password. The plaintext default needs no
// variable at all; every other combination is validated at boot, the files are read at boot,
// and a problem names the variable, never its value.
import { env, type EnvValues, type LoadedFile, type ParsedEnv } from './env';
import { Secret } from './secret';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const isSet = (value: unknown): boolean => value !== null && value !== undefined && value !== '';

/** Kafka's variables that mean something only with TLS, or only with SASL. */
function usedOnlyWith(protocols: readonly string[]) {
  return (value: unknown, others: ParsedEnv): string | undefined => {
    const protocol = others.get('KAFKA_SECURITY_PROTOCOL');
    if (!isSet(value) || typeof protocol !== 'string' || protocols.includes(protocol)) return undefined;
    return `is set but KAFKA_SECURITY_PROTOCOL is ${protocol}; it is used only with ${protocols.join(' or ')}`;
  };
}

/** `name` and `partner` are set together or not at all. */
function bothOrNeither(partner: string, extra?: (value: unknown, others: ParsedEnv) => string | undefined) {
  return (value: unknown, others: ParsedEnv): string | undefined => {
    const own = extra?.(value, others);
    if (own !== undefined) return own;
    if (!others.valid(partner) || isSet(value) === isSet(others.get(partner))) return undefined;
    return isSet(value) ? `is set without ${partner}; set both or neither` : undefined;
  };
}

export const kafkaSecurityEnv = {
  KAFKA_SECURITY_PROTOCOL: env.oneOf(['plaintext', 'ssl', 'sasl_ssl'] as const, {
    description: 'how clients reach Kafka: plaintext, ssl (TLS), or sasl_ssl (SASL/SCRAM over TLS)',
    default: 'plaintext',
  }),
  KAFKA_SASL_MECHANISM: env.oneOf(['scram-sha-512', 'scram-sha-256'] as const, {
    description: 'SASL mechanism with KAFKA_SECURITY_PROTOCOL=sasl_ssl',
    default: 'scram-sha-512',
  }),
  KAFKA_SASL_USERNAME: env.string({
    description: 'SASL user with KAFKA_SECURITY_PROTOCOL=sasl_ssl',
    default: '',
    check: (value, others) => {
      if (others.get('KAFKA_SECURITY_PROTOCOL') === 'sasl_ssl' && value === '') {
        return 'is required when KAFKA_SECURITY_PROTOCOL is sasl_ssl';
      }
      return usedOnlyWith(['sasl_ssl'])(value, others);
    },
  }),
  KAFKA_SASL_PASSWORD: env.string({
    description: 'SASL password (or KAFKA_SASL_PASSWORD_FILE)',
    default: '',
    secret: true,
    check: (value, others) => {
      const file = others.get('KAFKA_SASL_PASSWORD_FILE');
      if (!others.valid('KAFKA_SASL_PASSWORD_FILE')) return undefined;
      if (others.get('KAFKA_SECURITY_PROTOCOL') === 'sasl_ssl') {
        if (isSet(value) && isSet(file)) return 'and KAFKA_SASL_PASSWORD_FILE are both set; set exactly one';
        if (!isSet(value) && !isSet(file)) {
          return 'or KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SECURITY_PROTOCOL is sasl_ssl';
        }
        return undefined;
      }
      return usedOnlyWith(['sasl_ssl'])(value, others);
    },
  }),
  KAFKA_SASL_PASSWORD_FILE: env.file({
    description: 'file holding the SASL password (a trailing newline is ignored)',
    content: 'text',
    secret: true,
    check: usedOnlyWith(['sasl_ssl']),
  }),
  KAFKA_TLS_CA_FILE: env.file({
    description: "PEM bundle of the CAs that sign the brokers' certificates; unset: the system CAs",
    content: 'pem-certificates',
    check: usedOnlyWith(['ssl', 'sasl_ssl']),
  }),
  KAFKA_TLS_CERT_FILE: env.file({
    description: 'PEM client certificate (chain) for mutual TLS, with KAFKA_TLS_KEY_FILE',
    content: 'pem-certificates',
    check: bothOrNeither('KAFKA_TLS_KEY_FILE', usedOnlyWith(['ssl', 'sasl_ssl'])),
  }),
  KAFKA_TLS_KEY_FILE: env.file({
    description: 'PEM private key (unencrypted) of KAFKA_TLS_CERT_FILE',
    content: 'pem-private-key',
    secret: true,
    check: bothOrNeither('KAFKA_TLS_CERT_FILE', usedOnlyWith(['ssl', 'sasl_ssl'])),
  }),
  KAFKA_TLS_SERVERNAME: env.string({
    description: "host name the brokers' certificates must carry (SNI); unset: each broker's address",
    default: '',
    pattern: HOSTNAME,
    patternHint: 'a DNS host name',
    check: usedOnlyWith(['ssl', 'sasl_ssl']),
  }),
};

export const mongoSecurityEnv = {
  MONGO_TLS: env.bool({
    description:
      'connect to MongoDB over TLS; also on when MONGO_TLS_CA_FILE or MONGO_TLS_CERT_KEY_FILE is set, or MONGO_URL says tls=true',
    default: false,
  }),
  MONGO_TLS_CA_FILE: env.file({
    description: "PEM bundle of the CAs that sign the server's certificate; unset: the system CAs",
    content: 'pem-certificates',
  }),
  MONGO_TLS_CERT_KEY_FILE: env.file({
    description: 'PEM file with the client certificate and its unencrypted key (mutual TLS, x509)',
    content: 'pem-certificate-and-key',
    secret: true,
  }),
  MONGO_TLS_ALLOW_INVALID_HOSTNAMES: env.bool({
    description: 'accept a server certificate whose names do not match the host (the CA is still checked)',
    default: false,
  }),
  MONGO_USERNAME: env.string({
    description: 'MongoDB user (SCRAM), instead of credentials inside MONGO_URL',
    default: '',
    check: (value, others) => {
      const url = others.get('MONGO_URL');
      if (value === '' || typeof url !== 'string') return undefined;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return undefined;
      }
      return parsed.username !== '' || parsed.password !== ''
        ? 'is set but MONGO_URL carries credentials too; keep them in one place'
        : undefined;
    },
  }),
  MONGO_PASSWORD: env.string({
    description: 'password of MONGO_USERNAME (or MONGO_PASSWORD_FILE)',
    default: '',
    secret: true,
    check: (value, others) => {
      if (!others.valid('MONGO_PASSWORD_FILE') || !others.valid('MONGO_USERNAME')) return undefined;
      const file = others.get('MONGO_PASSWORD_FILE');
      const user = others.get('MONGO_USERNAME');
      if (isSet(value) && isSet(file)) return 'and MONGO_PASSWORD_FILE are both set; set exactly one';
      if (isSet(user) && !isSet(value) && !isSet(file)) return 'or MONGO_PASSWORD_FILE is required with MONGO_USERNAME';
      return isSet(value) && !isSet(user) ? 'is set without MONGO_USERNAME' : undefined;
    },
  }),
  MONGO_PASSWORD_FILE: env.file({
    description: 'file holding the password of MONGO_USERNAME (a trailing newline is ignored)',
    content: 'text',
    secret: true,
    check: (value, others) =>
      isSet(value) && others.valid('MONGO_USERNAME') && !isSet(others.get('MONGO_USERNAME'))
        ? 'is set without MONGO_USERNAME'
        : undefined,
  }),
  MONGO_AUTH_SOURCE: env.string({
    description: "database that holds MONGO_USERNAME; unset: MONGO_URL's database, else admin",
    default: '',
    pattern: /^[A-Za-z0-9_-]{1,63}$/,
    patternHint: '1-63 chars of A-Z a-z 0-9 _ -',
  }),
};

/** Certificates and keys for a TLS client, as read at boot. */
export interface TlsClientFiles {
  /** CA bundle (PEM); undefined: the system CAs. */
  ca?: string;
  /** Client certificate chain (PEM) for mutual TLS. */
  cert?: string;
  key?: Secret;
}

export type KafkaSecurity =
  | { protocol: 'plaintext' }
  | { protocol: 'ssl'; tls: TlsClientFiles & { servername?: string } }
  | {
      protocol: 'sasl_ssl';
      tls: TlsClientFiles & { servername?: string };
      sasl: { mechanism: 'scram-sha-512' | 'scram-sha-256'; username: string; password: Secret };
    };

export interface MongoSecurity {
  /** Absent: no TLS from our side (MONGO_URL may still ask for it). */
  tls?: TlsClientFiles & { allowInvalidHostnames: boolean };
  credentials?: { username: string; password: Secret; authSource?: string };
}

const contentsOf = (file: LoadedFile | null): string | undefined => file?.contents;

export function kafkaSecurity(e: EnvValues<typeof kafkaSecurityEnv>): KafkaSecurity {
  if (e.KAFKA_SECURITY_PROTOCOL === 'plaintext') return { protocol: 'plaintext' };
  const keyPem = contentsOf(e.KAFKA_TLS_KEY_FILE);
  const tls = {
    ...(e.KAFKA_TLS_CA_FILE === null ? {} : { ca: e.KAFKA_TLS_CA_FILE.contents }),
    ...(e.KAFKA_TLS_CERT_FILE === null ? {} : { cert: e.KAFKA_TLS_CERT_FILE.contents }),
    ...(keyPem === undefined ? {} : { key: new Secret(keyPem) }),
    ...(e.KAFKA_TLS_SERVERNAME === '' ? {} : { servername: e.KAFKA_TLS_SERVERNAME }),
  };
  if (e.KAFKA_SECURITY_PROTOCOL === 'ssl') return { protocol: 'ssl', tls };
  const password = contentsOf(e.KAFKA_SASL_PASSWORD_FILE) ?? e.KAFKA_SASL_PASSWORD;
  return {
    protocol: 'sasl_ssl',
    tls,
    sasl: { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: new Secret(password) },
  };
}

export function mongoSecurity(e: EnvValues<typeof mongoSecurityEnv>): MongoSecurity {
  const security: MongoSecurity = {};
  const certKey = contentsOf(e.MONGO_TLS_CERT_KEY_FILE);
  if (e.MONGO_TLS || e.MONGO_TLS_CA_FILE !== null || certKey !== undefined) {
    security.tls = {
      ...(e.MONGO_TLS_CA_FILE === null ? {} : { ca: e.MONGO_TLS_CA_FILE.contents }),
      // One PEM holds both: Node takes the certificates as `cert` and the key block as `key`.
      ...(certKey === undefined ? {} : { cert: certKey, key: new Secret(certKey) }),
      allowInvalidHostnames: e.MONGO_TLS_ALLOW_INVALID_HOSTNAMES,
    };
  }
  if (e.MONGO_USERNAME !== '') {
    const password = contentsOf(e.MONGO_PASSWORD_FILE) ?? e.MONGO_PASSWORD;
    security.credentials = {
      username: e.MONGO_USERNAME,
      password: new Secret(password),
      ...(e.MONGO_AUTH_SOURCE === '' ? {} : { authSource: e.MONGO_AUTH_SOURCE }),
    };
  }
  return security;
}
