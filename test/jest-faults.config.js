// Fault-injection tier (issue 3): every scenario runs the built services as processes over the
// real Kafka and FerretDB (started in globalSetup), injects its fault while >= 100,000 events
// flow, and checks the outcome with an independent checker. One worker: scenarios restart the
// shared servers. The teardown makes sure both servers are running again whatever happened.
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testRegex: '.*\\.fault-spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/faults-global-teardown.js',
  maxWorkers: 1,
  testTimeout: 600_000,
};
