'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.installHttpMetrics = installHttpMetrics;
const registry_1 = require('./registry');
function installHttpMetrics(fastify) {
  const requests = (0, registry_1.counter)({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
  });
  const duration = (0, registry_1.histogram)({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
//# sourceMappingURL=http-metrics.js.map
