'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.createHttpApp = createHttpApp;
exports.runService = runService;
const core_1 = require('@nestjs/core');
const platform_fastify_1 = require('@nestjs/platform-fastify');
const nestjs_pino_1 = require('nestjs-pino');
const http_metrics_1 = require('../metrics/http-metrics');
const shutdown_1 = require('../shutdown/shutdown');
const problem_filter_1 = require('./problem.filter');
async function createHttpApp(opts) {
  const adapter = new platform_fastify_1.FastifyAdapter({
    // Limits that keep a hostile client from holding resources (issue 8 tightens further).
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    maxParamLength: 256,
    ...opts.fastify,
  });
  (0, http_metrics_1.installHttpMetrics)(adapter.getInstance());
  const app = await core_1.NestFactory.create(opts.module, adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: opts.bodyParser ?? true,
  });
  const logger = app.get(nestjs_pino_1.Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new problem_filter_1.ProblemDetailsFilter());
  await opts.configure?.(app);
  if (opts.handleSignals ?? true) {
    (0, shutdown_1.installSignalHandlers)(app, { timeoutMs: opts.shutdownTimeoutMs, logger });
  }
  await app.listen({ port: opts.port, host: opts.host });
  return app;
}
/**
 * Runs a service's bootstrap; a failure (a config error, an unreachable dependency) is
 * printed to stderr with its reason and the process exits non-zero. Never swallowed.
 */
function runService(name, bootstrap) {
  bootstrap().catch((error) => {
    const reason =
      error instanceof Error
        ? error.name === 'ConfigValidationError'
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    process.stderr.write(`${name} failed to start: ${reason}\n`);
    process.exit(1);
  });
}
//# sourceMappingURL=http-app.js.map
