// End-to-end tier: the three built services as real processes, talking HTTP, over the real
// Kafka and FerretDB started in globalSetup.
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testRegex: '.*\\.e2e-spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.js',
  maxWorkers: 1,
  testTimeout: 300_000,
};
