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
var MongoModule_1;
Object.defineProperty(exports, '__esModule', { value: true });
exports.MongoModule = void 0;
// Infrastructure module owning the app's MongoDB connection: opened at boot (a failure
// stops the app with the reason), registered as a readiness check, closed last on shutdown.
const common_1 = require('@nestjs/common');
const readiness_1 = require('../health/readiness');
const mongo_connection_1 = require('./mongo-connection');
let MongoLifecycle = class MongoLifecycle {
  connection;
  constructor(connection) {
    this.connection = connection;
  }
  /** onApplicationShutdown is the "close stores" phase: nothing writes any more. */
  async onApplicationShutdown() {
    await this.connection.close();
  }
};
MongoLifecycle = __decorate(
  [(0, common_1.Injectable)(), __metadata('design:paramtypes', [mongo_connection_1.MongoConnection])],
  MongoLifecycle,
);
let MongoModule = (MongoModule_1 = class MongoModule {
  static forRoot(settings) {
    return {
      module: MongoModule_1,
      providers: [
        {
          provide: mongo_connection_1.MongoConnection,
          inject: [readiness_1.ReadinessRegistry],
          useFactory: async (readiness) => {
            const connection = await mongo_connection_1.MongoConnection.open(settings);
            readiness.register('mongodb', () => connection.ping());
            return connection;
          },
        },
        MongoLifecycle,
      ],
      exports: [mongo_connection_1.MongoConnection],
    };
  }
});
exports.MongoModule = MongoModule;
exports.MongoModule =
  MongoModule =
  MongoModule_1 =
    __decorate([(0, common_1.Global)(), (0, common_1.Module)({})], MongoModule);
//# sourceMappingURL=mongo.module.js.map
