// Rate limiting per API key (@nestjs/throttler): requests are counted per key (per client
// address without one), the open operational endpoints are never limited, and a refusal is a
// 429 problem+json with Retry-After.
import { type DynamicModule, type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, ThrottlerModule } from '@nestjs/throttler';
import { ProblemException } from '../http/problem';
import { bearerToken, hashApiKey } from './api-keys';
import { isOpenPath } from './api-key.guard';

export interface RateLimitSettings {
  /** Requests per key per window; 0 switches rate limiting off. */
  limit: number;
  windowMs: number;
}

export function rateLimitModule(settings: RateLimitSettings): DynamicModule {
  return ThrottlerModule.forRoot({ throttlers: [{ name: 'default', ttl: settings.windowMs, limit: settings.limit }] });
}

interface TrackedRequest {
  url?: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TrackedRequest>();
    return Promise.resolve(isOpenPath(request.url ?? ''));
  }

  /** The key's hash prefix (never the key), or the client address for requests without one. */
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const req = request as unknown as TrackedRequest;
    const token = bearerToken(req.headers.authorization);
    return Promise.resolve(token === null ? `ip:${req.ip ?? 'unknown'}` : `key:${hashApiKey(token).slice(0, 16)}`);
  }

  /** One budget per key across all routes (the default would count per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterS = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new ProblemException(
      429,
      `Rate limit exceeded: ${detail.limit} requests per ${Math.round(detail.ttl / 1000)} s per API key. Retry after ${retryAfterS} s.`,
      { headers: { 'retry-after': String(retryAfterS) } },
    );
  }
}
