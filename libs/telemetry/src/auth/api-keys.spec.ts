import { authenticate, bearerToken, hashApiKey, mayAccessTenant, parseApiKeys } from './api-keys';

const KEY_A = 'tm_live_9f2c4e1a7b3d5f60a1b2c3d4e5f60718';
const KEY_B = 'tm_live_0a1b2c3d4e5f60718293a4b5c6d7e8f9';

describe('API keys', () => {
  const parsed = parseApiKeys(`sha256:${hashApiKey(KEY_A)}=acme|globex ; sha256:${hashApiKey(KEY_B)}=*`);
  const keys = parsed.ok ? parsed.keys : [];

  it('parses hashed entries with tenant scopes', () => {
    expect(parsed.ok).toBe(true);
    expect(keys.map((k) => [k.id, k.tenants === null ? '*' : [...k.tenants]])).toEqual([
      [hashApiKey(KEY_A).slice(0, 8), ['acme', 'globex']],
      [hashApiKey(KEY_B).slice(0, 8), '*'],
    ]);
  });

  it('refuses malformed entries without echoing them', () => {
    const bad = parseApiKeys(`sha256:${hashApiKey(KEY_A)}=acme;${KEY_B}=*`);
    expect(bad).toEqual({ ok: false, problem: expect.stringMatching(/^entry 2 must look like/) as unknown });
    expect(JSON.stringify(bad)).not.toContain(KEY_B);
    expect(parseApiKeys(`sha256:${hashApiKey(KEY_A)}=|`)).toEqual({ ok: false, problem: 'entry 1 names no tenant' });
  });

  it('authenticates only the configured keys and scopes them', () => {
    const a = authenticate(keys, KEY_A);
    expect(a?.keyId).toBe(hashApiKey(KEY_A).slice(0, 8));
    expect(a && mayAccessTenant(a, 'acme')).toBe(true);
    expect(a && mayAccessTenant(a, 'initech')).toBe(false);
    const b = authenticate(keys, KEY_B);
    expect(b && mayAccessTenant(b, 'initech')).toBe(true);
    expect(authenticate(keys, `${KEY_A}x`)).toBeNull();
  });

  it('reads bearer tokens strictly', () => {
    expect(bearerToken(`Bearer ${KEY_A}`)).toBe(KEY_A);
    expect(bearerToken(`bearer ${KEY_A}`)).toBe(KEY_A);
    expect(bearerToken(`Basic ${KEY_A}`)).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken(['Bearer a', 'Bearer b'])).toBeNull();
  });
});
