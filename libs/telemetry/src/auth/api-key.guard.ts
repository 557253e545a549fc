// Authenticates every request except the open operational endpoints, and attaches the
// caller's Principal (tenant scope) for the handlers. 401/403 are problem+json.
import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../http/problem';
import { type ApiKeyEntry, authenticate, bearerToken, type Principal } from './api-keys';

/**
 * Health, metrics, the API docs and the web console's page and files stay open: probes and
 * scrapers carry no keys, and the console holds no data (it asks for a key and calls /v1 with it).
 */
const OPEN_PATHS = [
  /^\/health\/(live|ready)$/,
  /^\/metrics$/,
  /^\/docs(\/.*)?$/,
  /^\/openapi\.json$/,
  /^\/$/,
  /^\/console\/[^/]+$/,
];

/** Health, metrics, the API docs and the console's files: open to everyone, never rate-limited. */
export function isOpenPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return OPEN_PATHS.some((p) => p.test(path));
}

/** Everyone, when no key is configured (local development). */
export const ANONYMOUS: Principal = { keyId: 'anonymous', tenants: null };

type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

export class ApiKeys {
  constructor(readonly entries: readonly ApiKeyEntry[]) {}

  get enabled(): boolean {
    return this.entries.length > 0;
  }
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(private readonly keys: ApiKeys) {
    if (!keys.enabled) this.logger.warn('API_KEYS is empty: authentication is OFF (local development only)');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    if (isOpenPath(request.url ?? '')) return true;
    if (!this.keys.enabled) {
      request.principal = ANONYMOUS;
      return true;
    }
    const token = bearerToken(request.headers.authorization);
    const principal = token === null ? null : authenticate(this.keys.entries, token);
    if (principal === null) {
      throw new ProblemException(401, 'A valid API key is required: send it as "Authorization: Bearer <key>".', {
        headers: { 'www-authenticate': 'Bearer realm="tokenmeter"' },
      });
    }
    request.principal = principal;
    return true;
  }
}

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<RequestWithPrincipal>().principal ?? ANONYMOUS;
});

export function forbiddenTenant(tenant: string): ProblemException {
  return new ProblemException(403, `This API key may not read tenant "${tenant.slice(0, 64)}".`);
}
