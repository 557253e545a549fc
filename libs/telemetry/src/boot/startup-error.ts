// Failures at boot that no retry can fix — wrong credentials, a certificate the client does not
// trust — turned into one error that says what failed and which variables to check. The app
// stops with it at once (runService prints its message as one line) instead of retrying.

export enum StartupErrorCode {
  KafkaAuthentication = 'KAFKA_AUTHENTICATION',
  KafkaTls = 'KAFKA_TLS',
  MongoAuthentication = 'MONGO_AUTHENTICATION',
  MongoTls = 'MONGO_TLS',
}

export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'StartupError';
  }
}

/**
 * Node and OpenSSL codes of a TLS handshake that failed for a reason of configuration: an
 * untrusted, expired or misnamed certificate, a rejected client certificate, TLS spoken to a
 * plaintext port. (Connection refused or reset are not among them: those may pass.)
 */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

function isTlsCode(code: unknown): code is string {
  return typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'));
}

/** The errors an error wraps: `cause`, kafkajs's `originalError`, the driver's per-server errors. */
function wrapped(error: object): unknown[] {
  const e = error as { cause?: unknown; originalError?: unknown; reason?: { servers?: unknown } };
  const inner: unknown[] = [e.cause, e.originalError];
  const servers = e.reason?.servers;
  if (servers instanceof Map) {
    for (const server of servers.values()) inner.push((server as { error?: unknown }).error);
  }
  return inner;
}

/** The first error in `error`'s chain that satisfies `match` (bounded depth, no cycles). */
export function findInChain(error: unknown, match: (e: Error & { code?: unknown }) => boolean): Error | undefined {
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < 20) {
    const current = queue.shift();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    if (match(current)) return current;
    queue.push(...wrapped(current));
  }
  return undefined;
}

/** The TLS failure in `error`'s chain, as "<message> (<code>)", or undefined. */
export function tlsFailureOf(error: unknown): string | undefined {
  const found = findInChain(error, (e) => isTlsCode(e.code));
  if (found === undefined) return undefined;
  const code = String((found as { code?: unknown }).code);
  // kafkajs prefixes socket errors; the handshake's own words are what an operator searches for.
  const message = found.message.replace(/^Connection error: /, '').replace(/; if the root CA is installed.*$/, '');
  return `${message} (${code})`;
}
