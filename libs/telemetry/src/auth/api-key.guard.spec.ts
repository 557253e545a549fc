import type { ExecutionContext } from '@nestjs/common';
import { ProblemException } from '../http/problem';
import { thrownBy } from '../testing';
import { ANONYMOUS, ApiKeyGuard, ApiKeys } from './api-key.guard';
import { hashApiKey, parseApiKeys, type Principal } from './api-keys';

const KEY = 'tm_test_4f1e2d3c4b5a69788796a5b4c3d2e1f0';

function contextFor(
  url: string,
  authorization?: string,
): { context: ExecutionContext; request: { principal?: Principal } } {
  const request: { url: string; headers: Record<string, string>; principal?: Principal } = {
    url,
    headers: authorization === undefined ? {} : { authorization },
  };
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { context, request };
}

function guard(entries: string): ApiKeyGuard {
  const parsed = parseApiKeys(entries);
  if (!parsed.ok) throw new Error(parsed.problem);
  return new ApiKeyGuard(new ApiKeys(parsed.keys));
}

describe('ApiKeyGuard', () => {
  const secured = guard(`sha256:${hashApiKey(KEY)}=acme`);

  it('attaches the principal of a valid key', () => {
    const { context, request } = contextFor('/v1/events/tokens?limit=1', `Bearer ${KEY}`);
    expect(secured.canActivate(context)).toBe(true);
    expect(request.principal?.tenants).toEqual(new Set(['acme']));
  });

  it('answers 401 with a Bearer challenge for a missing or wrong key', () => {
    for (const header of [undefined, `Bearer ${KEY}0`, `Basic ${KEY}`]) {
      const problem = thrownBy(ProblemException, () =>
        secured.canActivate(contextFor('/v1/events/tokens', header).context),
      );
      expect([problem.httpStatus, problem.extras.headers]).toEqual([
        401,
        { 'www-authenticate': 'Bearer realm="tokenmeter"' },
      ]);
    }
  });

  it('leaves health, metrics, docs and the console page and files open', () => {
    for (const url of ['/health/live', '/health/ready', '/metrics', '/docs', '/openapi.json', '/', '/?range=7d']) {
      expect(secured.canActivate(contextFor(url).context)).toBe(true);
    }
    expect(secured.canActivate(contextFor('/console/app-3f2a9c1b.js').context)).toBe(true);
  });

  it('keeps everything else behind a key, also paths that merely look like console ones', () => {
    for (const url of ['/console/../v1/tokens/totals', '/console/a/b', '/v1/costs/budgets']) {
      expect(() => secured.canActivate(contextFor(url).context)).toThrow();
    }
  });

  it('lets everyone in as an all-tenant principal when no key is configured', () => {
    const { context, request } = contextFor('/v1/events/tokens');
    expect(guard('').canActivate(context)).toBe(true);
    expect(request.principal).toBe(ANONYMOUS);
  });
});
