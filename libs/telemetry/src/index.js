'use strict';
var __createBinding =
  (this && this.__createBinding) ||
  (Object.create
    ? function (o, m, k, k2) {
        if (k2 === undefined) k2 = k;
        var desc = Object.getOwnPropertyDescriptor(m, k);
        if (!desc || ('get' in desc ? !m.__esModule : desc.writable || desc.configurable)) {
          desc = {
            enumerable: true,
            get: function () {
              return m[k];
            },
          };
        }
        Object.defineProperty(o, k2, desc);
      }
    : function (o, m, k, k2) {
        if (k2 === undefined) k2 = k;
        o[k2] = m[k];
      });
var __exportStar =
  (this && this.__exportStar) ||
  function (m, exports) {
    for (var p in m)
      if (p !== 'default' && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
  };
Object.defineProperty(exports, '__esModule', { value: true });
__exportStar(require('./config/env'), exports);
__exportStar(require('./config/common'), exports);
__exportStar(require('./logging/logging.module'), exports);
__exportStar(require('./metrics/registry'), exports);
__exportStar(require('./metrics/http-metrics'), exports);
__exportStar(require('./http/problem'), exports);
__exportStar(require('./http/problem.filter'), exports);
__exportStar(require('./http/http-app'), exports);
__exportStar(require('./health/readiness'), exports);
__exportStar(require('./health/health.module'), exports);
__exportStar(require('./kafka/kafka-client'), exports);
__exportStar(require('./mongo/mongo-connection'), exports);
__exportStar(require('./mongo/mongo.module'), exports);
__exportStar(require('./shutdown/shutdown'), exports);
__exportStar(require('./clock'), exports);
//# sourceMappingURL=index.js.map
