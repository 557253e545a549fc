// Deploy tier: offline validation of the deployment artifacts (Helm charts, Terraform, docker
// compose, Dockerfiles) with the tools scripts/deploy/tools.sh builds into .cache/bin, and the
// scripts themselves (shellcheck; scripts/dev run on ports and state folders of their own).
const base = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/deploy'],
  testRegex: '.*\\.deploy-spec\\.ts$',
  maxWorkers: 1,
  testTimeout: 600_000,
};
