'use strict';
var __decorate =
  (this && this.__decorate) ||
  function (decorators, target, key, desc) {
    var c = arguments.length,
      r = c < 3 ? target : desc === null ? (desc = Object.getOwnPropertyDescriptor(target, key)) : desc,
      d;
    if (typeof Reflect === 'object' && typeof Reflect.decorate === 'function')
      r = Reflect.decorate(decorators, target, key, desc);
    else
      for (var i = decorators.length - 1; i >= 0; i--)
        if ((d = decorators[i])) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return (c > 3 && r && Object.defineProperty(target, key, r), r);
  };
var __metadata =
  (this && this.__metadata) ||
  function (k, v) {
    if (typeof Reflect === 'object' && typeof Reflect.metadata === 'function') return Reflect.metadata(k, v);
  };
var __param =
  (this && this.__param) ||
  function (paramIndex, decorator) {
    return function (target, key) {
      decorator(target, key, paramIndex);
    };
  };
Object.defineProperty(exports, '__esModule', { value: true });
exports.HealthController = void 0;
const common_1 = require('@nestjs/common');
const terminus_1 = require('@nestjs/terminus');
const kafka_client_1 = require('../kafka/kafka-client');
const readiness_1 = require('./readiness');
const PROBE_TIMEOUT_MS = 3_000;
let HealthController = class HealthController {
  health;
  indicators;
  registry;
  constructor(health, indicators, registry) {
    this.health = health;
    this.indicators = indicators;
    this.registry = registry;
  }
  /** The process is up and its event loop turns. */
  live() {
    return { status: 'ok' };
  }
  /**
   * Every dependency answers: 200 with terminus' result, else 503 with the same shape
   * (probes and operators read `error.<name>.message` to see why).
   */
  async ready(reply) {
    if (this.registry.isDraining()) {
      void reply.status(503);
      return { status: 'error', info: {}, error: { shutdown: { status: 'down', message: 'draining for shutdown' } } };
    }
    try {
      return await this.health.check(
        this.registry.entries().map(([name, probe]) => async () => {
          const session = this.indicators.check(name);
          try {
            const data = await (0, kafka_client_1.withTimeout)(
              probe(),
              PROBE_TIMEOUT_MS,
              `${name} did not answer within ${PROBE_TIMEOUT_MS} ms`,
            );
            return session.up(data ?? {});
          } catch (error) {
            return session.down({ message: error instanceof Error ? error.message : String(error) });
          }
        }),
      );
    } catch (error) {
      if (error instanceof common_1.HttpException) {
        void reply.status(error.getStatus());
        return error.getResponse();
      }
      throw error;
    }
  }
};
exports.HealthController = HealthController;
__decorate(
  [
    (0, common_1.Get)('live'),
    __metadata('design:type', Function),
    __metadata('design:paramtypes', []),
    __metadata('design:returntype', Object),
  ],
  HealthController.prototype,
  'live',
  null,
);
__decorate(
  [
    (0, common_1.Get)('ready'),
    __param(0, (0, common_1.Res)({ passthrough: true })),
    __metadata('design:type', Function),
    __metadata('design:paramtypes', [Object]),
    __metadata('design:returntype', Promise),
  ],
  HealthController.prototype,
  'ready',
  null,
);
exports.HealthController = HealthController = __decorate(
  [
    (0, common_1.Controller)('health'),
    __metadata('design:paramtypes', [
      terminus_1.HealthCheckService,
      terminus_1.HealthIndicatorService,
      readiness_1.ReadinessRegistry,
    ]),
  ],
  HealthController,
);
//# sourceMappingURL=health.controller.js.map
