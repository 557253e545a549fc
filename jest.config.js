// Unit tier: colocated *.spec.ts files, no servers. Integration and e2e tiers live in test/.
const { readFileSync } = require('node:fs');
const swcrc = JSON.parse(readFileSync(`${__dirname}/.swcrc`, 'utf8'));

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools', '<rootDir>/scripts'],
  testRegex: '.*\\.spec\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleNameMapper: {
    '^@tokenmeter/contracts(|/.*)$': '<rootDir>/libs/contracts/src$1',
    '^@tokenmeter/telemetry(|/.*)$': '<rootDir>/libs/telemetry/src$1',
    '^@tokenmeter/storage(|/.*)$': '<rootDir>/libs/storage/src$1',
    '^@tokenmeter/simulator(|/.*)$': '<rootDir>/libs/simulator/src$1',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/quiet-nest-logger.ts'],
};
