// Safety net of the fault-injection tier: scenarios stop and start the local Kafka and FerretDB,
// and later tiers need both. If a scenario failed or timed out with a server down, start it
// again here (a no-op when it runs). Only the local servers of scripts/dev are touched: their
// default addresses are the ones globalSetup exported.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const dev = path.join(__dirname, '..', '..', 'scripts', 'dev');

function isLocal(server) {
  if (server === 'kafka') return process.env.KAFKA_BROKERS === `127.0.0.1:${process.env.KAFKA_PORT || '19092'}`;
  return (process.env.MONGO_URL || '').startsWith(`mongodb://127.0.0.1:${process.env.FERRETDB_PORT || '27018'}/`);
}

function running(script) {
  try {
    execFileSync(path.join(dev, script), ['status'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

module.exports = async function faultsGlobalTeardown() {
  for (const [server, script] of [
    ['kafka', 'kafka.sh'],
    ['ferretdb', 'ferretdb.sh'],
  ]) {
    if (!isLocal(server) || running(script)) continue;
    process.stderr.write(`fault suite teardown: ${server} is down, starting it again\n`);
    for (const command of ['start', 'wait']) {
      execFileSync(path.join(dev, script), [command], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
    }
  }
};
