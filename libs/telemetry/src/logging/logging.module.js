'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.REDACT_PATHS = void 0;
exports.traceparentOf = traceparentOf;
exports.createLoggingModule = createLoggingModule;
const nestjs_pino_1 = require('nestjs-pino');
/** Paths redacted from every log line: credentials in headers, and any secret-named field. */
exports.REDACT_PATHS = [
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
function traceparentOf(req) {
  const value = req.headers.traceparent;
  return typeof value === 'string' ? value : undefined;
}
function createLoggingModule(opts) {
  return nestjs_pino_1.LoggerModule.forRoot({
    pinoHttp: {
      level: opts.level,
      base: { service: opts.service },
      redact: { paths: exports.REDACT_PATHS, censor: '[redacted]' },
      autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? '') },
      customProps: (req) => {
        const traceparent = traceparentOf(req);
        return traceparent === undefined ? {} : { traceparent };
      },
      serializers: {
        // Only what an operator needs; never bodies, never query strings (they may hold keys).
        req: (req) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
    },
  });
}
//# sourceMappingURL=logging.module.js.map
