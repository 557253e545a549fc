// Starts (or reuses) the local Kafka and FerretDB once per jest run via scripts/dev/servers.sh
// and exports KAFKA_BROKERS / MONGO_URL to the test workers. External servers are used when
// those variables are already set. Stopping is left to `make test` (servers.sh down).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const script = path.join(__dirname, '..', '..', 'scripts', 'dev', 'servers.sh');
  const out = execFileSync(script, ['up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  for (const line of out.split('\n')) {
    const match = /^(KAFKA_BROKERS|MONGO_URL)=(.+)$/.exec(line.trim());
    if (match) process.env[match[1]] = match[2];
  }
  if (!process.env.KAFKA_BROKERS || !process.env.MONGO_URL) {
    throw new Error(`servers.sh up did not report KAFKA_BROKERS and MONGO_URL; it printed:\n${out}`);
  }
};
