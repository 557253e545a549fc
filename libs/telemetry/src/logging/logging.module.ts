// JSON logs for all three apps: nestjs-pino over pino-http, with the W3C traceparent of
// the request on every line and secrets redacted (SPEC §8).
import { type DynamicModule, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { isValidTraceparent } from '@tokenmeter/contracts';
import { LoggerModule } from 'nestjs-pino';

/** Paths redacted from every log line: credentials in headers, and any secret-named field. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.mongoUrl',
  '*.url',
];

/** Request paths whose access logs would only be noise (probes, scrapes). */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

export interface LoggingOptions {
  service: string;
  level: string;
}

const TRACEPARENT = Symbol('tokenmeter.traceparent');

type TracedRequest = IncomingMessage & { [TRACEPARENT]?: string };

/**
 * Records the traceparent a handler settled on (the caller's, or one it started) so that the
 * request's access log line carries the same value as every other line of its trace.
 */
export function setRequestTraceparent(req: IncomingMessage, traceparent: string): void {
  (req as TracedRequest)[TRACEPARENT] = traceparent;
}

/** The request's trace: the one a handler settled on, else a valid W3C header from the caller. */
export function traceparentOf(req: IncomingMessage): string | undefined {
  const settled = (req as TracedRequest)[TRACEPARENT];
  if (settled !== undefined) return settled;
  const value = req.headers.traceparent;
  return typeof value === 'string' && isValidTraceparent(value) ? value : undefined;
}

function pathOf(req: IncomingMessage & { originalUrl?: string }): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}

export function createLoggingModule(opts: LoggingOptions): DynamicModule {
  return LoggerModule.forRoot({
    // nestjs-pino's default route pattern `{/*splat}` matches nothing under Nest 12's
    // Fastify adapter (no request logs at all); `*` matches every route.
    forRoutes: [{ path: '*', method: RequestMethod.ALL }],
    pinoHttp: {
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      level: opts.level,
      base: { service: opts.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Middleware mounts may strip req.url while the request runs; originalUrl keeps the full path.
      autoLogging: { ignore: (req) => QUIET_PATHS.has(pathOf(req)) },
      customProps: (req) => {
        const traceparent = traceparentOf(req);
        return traceparent === undefined ? {} : { traceparent };
      },
      serializers: {
        // Only what an operator needs; never bodies, never query strings (they may hold keys).
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
    },
  });
}
