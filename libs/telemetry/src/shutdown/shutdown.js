'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.shutdownGracefully = shutdownGracefully;
exports.installSignalHandlers = installSignalHandlers;
const readiness_1 = require('../health/readiness');
async function shutdownGracefully(app, opts) {
  const exit = opts.exit ?? ((code) => process.exit(code));
  const deadline = setTimeout(() => {
    opts.logger.error(`graceful shutdown exceeded ${opts.timeoutMs} ms, exiting`, 'Shutdown');
    exit(1);
  }, opts.timeoutMs);
  deadline.unref();
  try {
    app.get(readiness_1.ReadinessRegistry, { strict: false }).markDraining();
    await closeListener(app.getHttpServer());
    await app.close();
    opts.logger.log('shutdown complete', 'Shutdown');
  } finally {
    clearTimeout(deadline);
  }
}
function closeListener(server) {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}
function installSignalHandlers(app, opts) {
  let started = false;
  const onSignal = (signal) => {
    if (started) return;
    started = true;
    opts.logger.log(`received ${signal}, shutting down`, 'Shutdown');
    shutdownGracefully(app, opts).then(
      () => (opts.exit ?? ((code) => process.exit(code)))(0),
      (error) => {
        opts.logger.error({ err: error }, 'shutdown failed', 'Shutdown');
        (opts.exit ?? ((code) => process.exit(code)))(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
//# sourceMappingURL=shutdown.js.map
