// API keys (issue 4, issue 5): `Authorization: Bearer <key>`. Keys are stored only as
// SHA-256 hashes in configuration, each bound to a set of tenants or to all ("*").
// Keys are long random tokens, so an unsalted hash is enough to keep them out of config
// and logs; comparisons are constant-time.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ApiKeyEntry {
  /** A short, loggable id: the first 8 hex digits of the hash. */
  id: string;
  hash: Buffer;
  /** null = every tenant. */
  tenants: ReadonlySet<string> | null;
}

export interface Principal {
  keyId: string;
  tenants: ReadonlySet<string> | null;
}

const ENTRY = /^sha256:([0-9a-f]{64})=(\*|[^=]+)$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses `API_KEYS`: entries separated by `;` or newlines, each `sha256:<hex>=<tenants>` where
 * tenants is `*` or a `|`-separated list. Returns the entries or the problems (never a key).
 */
export function parseApiKeys(raw: string): { ok: true; keys: ApiKeyEntry[] } | { ok: false; problem: string } {
  const entries = raw
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const keys: ApiKeyEntry[] = [];
  for (const [i, entry] of entries.entries()) {
    const match = ENTRY.exec(entry);
    if (match === null) {
      return { ok: false, problem: `entry ${i + 1} must look like sha256:<64 hex digits>=<tenant|tenant or *>` };
    }
    const [, hex = '', scope = ''] = match;
    const tenants =
      scope === '*'
        ? null
        : new Set(
            scope
              .split('|')
              .map((t) => t.trim())
              .filter((t) => t !== ''),
          );
    if (tenants !== null && tenants.size === 0) return { ok: false, problem: `entry ${i + 1} names no tenant` };
    keys.push({ id: hex.slice(0, 8), hash: Buffer.from(hex, 'hex'), tenants });
  }
  return { ok: true, keys };
}

/** The principal of a presented key, or null. Every entry is compared, in constant time. */
export function authenticate(keys: readonly ApiKeyEntry[], presented: string): Principal | null {
  const hash = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKeyEntry | null = null;
  for (const key of keys) if (timingSafeEqual(key.hash, hash)) found = key;
  return found === null ? null : { keyId: found.id, tenants: found.tenants };
}

/** The bearer token of an Authorization header, or null when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim());
  return match?.[1] ?? null;
}

export function mayAccessTenant(principal: Principal, tenant: string): boolean {
  return principal.tenants === null || principal.tenants.has(tenant);
}
