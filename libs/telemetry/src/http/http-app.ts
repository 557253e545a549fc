// Boots a tokenmeter HTTP service on Fastify with the shared conventions: pino logs,
// problem+json errors, RED metrics, health endpoints, ordered shutdown.
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { Logger } from 'nestjs-pino';
import { installHttpMetrics } from '../metrics/http-metrics';
import { installCors } from './cors';
import { installSecurityHeaders } from './security-headers';
import { installSignalHandlers } from '../shutdown/shutdown';
import { answerRouterError, ProblemDetailsFilter } from './problem.filter';

export interface HttpAppOptions {
  module: Type<unknown> | DynamicModule;
  host: string;
  port: number;
  /** Browser origins allowed cross-origin; empty or absent = CORS off. */
  corsOrigins?: readonly string[];
  /** Whole-request deadline (headers, body and answer), ms. */
  requestTimeoutMs?: number;
  /** Largest request head in bytes; Node answers 431 beyond it. */
  maxHeaderBytes?: number;
  shutdownTimeoutMs: number;
  fastify?: FastifyServerOptions;
  /** false when the app registers its own content-type parsers. */
  bodyParser?: boolean;
  /** Registers app-specific parsers, hooks or routes before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Tests manage shutdown themselves. */
  handleSignals?: boolean;
}

export async function createHttpApp(opts: HttpAppOptions): Promise<NestFastifyApplication> {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const adapter = new FastifyAdapter({
    // Limits that keep a slow or hostile client from holding a connection or memory: the whole
    // request within requestTimeoutMs, its head within 10 s and maxHeaderBytes, idle sockets closed.
    connectionTimeout: requestTimeoutMs + 5_000,
    requestTimeout: requestTimeoutMs,
    http: { maxHeaderSize: opts.maxHeaderBytes ?? 16 * 1024, headersTimeout: Math.min(10_000, requestTimeoutMs) },
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: answerRouterError,
    ...opts.fastify,
  });
  installHttpMetrics(adapter.getInstance());
  installSecurityHeaders(adapter.getInstance());
  installCors(adapter.getInstance(), opts.corsOrigins ?? []);
  const app = await NestFactory.create<NestFastifyApplication>(opts.module, adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: opts.bodyParser ?? true,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new ProblemDetailsFilter());
  await opts.configure?.(app);
  if (opts.handleSignals ?? true) {
    installSignalHandlers(app, { timeoutMs: opts.shutdownTimeoutMs, logger });
  }
  await app.listen({ port: opts.port, host: opts.host });
  logger.log(`listening on http://${opts.host}:${opts.port}`, 'HttpApp');
  return app;
}

/** Failures whose message says all (what failed, which variables to check): no stack trace. */
const SELF_EXPLAINING_ERRORS = new Set(['ConfigValidationError', 'StartupError']);

/**
 * Runs a service's bootstrap; a failure (a config error, refused credentials, an untrusted
 * certificate, an unreachable dependency) is printed to stderr with its reason and the process
 * exits non-zero. Never swallowed.
 */
export function runService(name: string, bootstrap: () => Promise<unknown>): void {
  bootstrap().catch((error: unknown) => {
    const reason =
      error instanceof Error
        ? SELF_EXPLAINING_ERRORS.has(error.name)
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`${name} failed to start: ${reason}\n`);
    process.exit(1);
  });
}
