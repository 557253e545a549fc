// Browser tier: the console in headless Chromium (playwright-core, the system's /usr/bin/chromium),
// served by a query API started from dist/ over the real Kafka and FerretDB of globalSetup, with
// data posted through the producer. Each spec file starts its own services; one file at a time.
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/browser'],
  testRegex: '.*\\.browser-spec\\.ts$',
  globalSetup: '<rootDir>/test/support/global-setup.js',
  maxWorkers: 1,
  testTimeout: 180_000,
};
