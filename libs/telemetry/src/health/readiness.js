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
Object.defineProperty(exports, '__esModule', { value: true });
exports.ReadinessRegistry = void 0;
// Readiness checks registered by the infrastructure an app uses (Kafka, MongoDB, sources),
// evaluated by /health/ready. Liveness never depends on them: a dependency outage must
// take a pod out of rotation, not restart it.
const common_1 = require('@nestjs/common');
let ReadinessRegistry = class ReadinessRegistry {
  probes = new Map();
  draining = false;
  register(name, probe) {
    this.probes.set(name, probe);
  }
  entries() {
    return [...this.probes.entries()];
  }
  /** Called first on shutdown so load balancers stop routing here before intake stops. */
  markDraining() {
    this.draining = true;
  }
  isDraining() {
    return this.draining;
  }
};
exports.ReadinessRegistry = ReadinessRegistry;
exports.ReadinessRegistry = ReadinessRegistry = __decorate([(0, common_1.Injectable)()], ReadinessRegistry);
//# sourceMappingURL=readiness.js.map
