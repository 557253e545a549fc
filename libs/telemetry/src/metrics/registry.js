'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.counter = counter;
exports.gauge = gauge;
exports.histogram = histogram;
// Get-or-create helpers over prom-client's default registry (the one /metrics serves).
// Creating a metric twice throws in prom-client; several app instances in one test
// process must share them.
const prom_client_1 = require('prom-client');
function counter(config) {
  return prom_client_1.register.getSingleMetric(config.name) ?? new prom_client_1.Counter(config);
}
function gauge(config) {
  return prom_client_1.register.getSingleMetric(config.name) ?? new prom_client_1.Gauge(config);
}
function histogram(config) {
  return prom_client_1.register.getSingleMetric(config.name) ?? new prom_client_1.Histogram(config);
}
//# sourceMappingURL=registry.js.map
