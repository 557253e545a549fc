// Integration tier: real Kafka and FerretDB (or KAFKA_BROKERS / MONGO_URL), started once in
// globalSetup; one worker so suites do not compete for the two servers.
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/integration'],
  testRegex: '.*\\.int-spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.js',
  maxWorkers: 1,
  testTimeout: 120_000,
};
