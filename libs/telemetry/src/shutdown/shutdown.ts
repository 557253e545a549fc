// Graceful shutdown in an explicit order (SPEC §6, STYLE "Config, errors, shutdown").
//
// On SIGTERM/SIGINT:
//   1. readiness turns 503 (load balancers stop routing here);
//   2. the HTTP listener stops accepting and in-flight requests finish;
//   3. app.close() runs Nest's lifecycle hooks, which tokenmeter uses as phases:
//        onModuleDestroy           -> stop intake and drain: consumers stop fetching,
//                                     finish the batch in flight and commit its offsets
//        beforeApplicationShutdown -> flush outbound: Kafka producers send and disconnect
//        onApplicationShutdown     -> close stores: MongoDB last, after nothing can write
// A hard deadline exits non-zero if a phase hangs, so an orchestrator never waits forever.
import type { INestApplication, LoggerService } from '@nestjs/common';
import type { Server } from 'node:http';
import { ReadinessRegistry } from '../health/readiness';

export interface ShutdownOptions {
  timeoutMs: number;
  logger: LoggerService;
  /** For tests: replaces process.exit. */
  exit?: (code: number) => void;
}

export async function shutdownGracefully(app: INestApplication, opts: ShutdownOptions): Promise<void> {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const deadline = setTimeout(() => {
    opts.logger.error(`graceful shutdown exceeded ${opts.timeoutMs} ms, exiting`, 'Shutdown');
    exit(1);
  }, opts.timeoutMs);
  deadline.unref();
  try {
    app.get(ReadinessRegistry, { strict: false }).markDraining();
    await closeListener(app.getHttpServer() as Server);
    await app.close();
    opts.logger.log('shutdown complete', 'Shutdown');
  } finally {
    clearTimeout(deadline);
  }
}

function closeListener(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}

export function installSignalHandlers(app: INestApplication, opts: ShutdownOptions): void {
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    opts.logger.log(`received ${signal}, shutting down`, 'Shutdown');
    shutdownGracefully(app, opts).then(
      () => (opts.exit ?? ((code: number) => process.exit(code)))(0),
      (error: unknown) => {
        opts.logger.error({ err: error }, 'shutdown failed', 'Shutdown');
        (opts.exit ?? ((code: number) => process.exit(code)))(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
