// The local servers of scripts/dev, run the way `make dev` and `make test` run them but on free
// ports with scratch state folders (the shared servers on 19092/19093 and 27018 are left alone):
// - kafka.sh formats KRaft storage and starts a broker with any valid cluster id, including ids
//   that start with "-" (once read as an option by kafka-storage format) or "_", and makes its own
//   ids the way Kafka does;
// - a port a server needs that another process holds stops dev.sh (`make dev`) before any server
//   or service starts, with lines naming the server, the port, its variable and the holder.
// Needs Java and Maven (the Kafka jars come through kafka.sh fetch, cached in .cache/kafka), not
// the deploy tools.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePorts, isListening, listen, runDevScript } from './support/dev-scripts';
import { expectSuccess } from './support/tools';

/** Files under dir (recursively), relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

/** A valid cluster id (16 bytes, URL-safe base64) whose first character is `first`. */
function clusterIdStartingWith(first: '-' | '_'): string {
  // The first character is the top six bits of the first byte: all ones ("_") or 111110 ("-").
  const bytes = randomBytes(16);
  bytes[0] = ((first === '_' ? 0b111111 : 0b111110) << 2) | ((bytes[0] ?? 0) & 0b11);
  const id = bytes.toString('base64url');
  expect(id[0]).toBe(first);
  return id;
}

describe('scripts/dev/kafka.sh on a scratch state folder and free ports', () => {
  interface Broker {
    stateDir: string;
    env: Record<string, string>;
  }
  let broker: Broker | undefined;

  beforeAll(async () => {
    // The jars, once (a no-op when .cache/kafka has them): this tier runs before `servers.sh up`.
    const fetched = await runDevScript('kafka.sh', ['fetch'], {}, 900_000);
    expectSuccess(fetched);
  }, 900_000);

  // Runs even when a test fails or times out: no broker outlives its test.
  afterEach(async () => {
    if (broker === undefined) return;
    const stopped = await runDevScript('kafka.sh', ['stop'], broker.env, 60_000);
    rmSync(broker.stateDir, { recursive: true, force: true });
    broker = undefined;
    expectSuccess(stopped);
  }, 90_000);

  async function newBroker(env: Record<string, string> = {}): Promise<Broker> {
    const ports = await freePorts(['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT']);
    const stateDir = mkdtempSync(join(tmpdir(), 'tokenmeter-kafka-'));
    broker = { stateDir, env: {} };
    broker.env = {
      KAFKA_STATE_DIR: stateDir,
      KAFKA_PORT: String(ports.KAFKA_PORT),
      KAFKA_CONTROLLER_PORT: String(ports.KAFKA_CONTROLLER_PORT),
      KAFKA_HEAP_OPTS: '-Xms64m -Xmx256m',
      KAFKA_WAIT_SECONDS: '120',
      KAFKA_STOP_SECONDS: '20',
      ...env,
    };
    return broker;
  }

  function formattedClusterId(stateDir: string): string | undefined {
    const meta = filesUnder(stateDir).find((file) => /^data-[^/]+\/meta\.properties$/.test(file));
    if (meta === undefined) return undefined;
    return /^cluster\.id=(.*)$/m.exec(readFileSync(join(stateDir, meta), 'utf8'))?.[1];
  }

  it.each(['-', '_'] as const)(
    'formats storage with a cluster id that starts with "%s" and the broker answers',
    async (first) => {
      const clusterId = clusterIdStartingWith(first);
      const { env, stateDir } = await newBroker({ KAFKA_CLUSTER_ID: clusterId });

      const started = await runDevScript('kafka.sh', ['start'], env, 120_000);
      expectSuccess(started);
      expect(started.stderr).toContain(`formatting KRaft storage (cluster id ${clusterId})`);
      // `wait` polls the broker with a metadata request until its own deadline (KAFKA_WAIT_SECONDS).
      const ready = await runDevScript('kafka.sh', ['wait'], env, 180_000);
      expectSuccess(ready);
      expect(formattedClusterId(stateDir)).toBe(clusterId);
    },
    360_000,
  );

  it('makes its own cluster id like Kafka: a version 4 UUID that does not start with "-"', async () => {
    const { env, stateDir } = await newBroker();

    const started = await runDevScript('kafka.sh', ['start'], env, 120_000);
    expectSuccess(started);
    const clusterId = formattedClusterId(stateDir) ?? '';
    expect(clusterId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    // Uuid.randomUuid wraps java.util.UUID.randomUUID: version 4, IETF variant (16 random bytes
    // carry neither mark, so an id made that way fails here 15 times in 16).
    const bytes = Buffer.from(clusterId, 'base64url');
    expect(bytes).toHaveLength(16);
    expect({ version: (bytes[6] ?? 0) >> 4, variant: (bytes[8] ?? 0) >> 6 }).toEqual({ version: 4, variant: 0b10 });
  }, 240_000);

  it('refuses to start, naming the port, its variable and its holder, when a port is taken', async () => {
    const held = await listen();
    try {
      const { env, stateDir } = await newBroker();
      env.KAFKA_CONTROLLER_PORT = String(held.port);

      const started = await runDevScript('kafka.sh', ['start'], env, 60_000);
      expect(started.code).toBe(1);
      expect(started.stderr).toContain(
        `kafka: ERROR: port ${held.port} (KAFKA_CONTROLLER_PORT) on 127.0.0.1 is already in use by pid ${process.pid}`,
      );
      expect(filesUnder(stateDir)).toEqual([]);
    } finally {
      await held.close();
    }
  }, 120_000);
});

describe('scripts/dev/dev.sh (make dev) when a port is already taken', () => {
  // Who reports the taken port, and the lines that follow it up to dev.sh's own.
  const cases = [
    {
      variable: 'FERRETDB_PORT',
      owner: 'ferretdb',
      then: ['servers: ERROR: ferretdb cannot start', 'dev: ERROR: the local servers did not start'],
    },
    {
      variable: 'KAFKA_PORT',
      owner: 'kafka',
      then: ['servers: ERROR: kafka cannot start', 'dev: ERROR: the local servers did not start'],
    },
    { variable: 'QUERY_API_PORT', owner: 'dev', then: ['dev: ERROR: not starting: a service port is taken'] },
  ] as const;

  it.each(cases)(
    'exits non-zero naming $owner and its port $variable, and starts no server or service',
    async ({ variable, owner, then }) => {
      const held = await listen();
      const stateDir = mkdtempSync(join(tmpdir(), 'tokenmeter-dev-'));
      try {
        const free = await freePorts([
          'KAFKA_PORT',
          'KAFKA_CONTROLLER_PORT',
          'FERRETDB_PORT',
          'QUERY_API_PORT',
          'PRODUCER_PORT',
          'PROCESSOR_PORT',
        ]);
        const ports: Record<string, number> = { ...free, [variable]: held.port };
        const result = await runDevScript(
          'dev.sh',
          [],
          {
            ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
            FERRETDB_DEBUG_PORT: '-',
            KAFKA_STATE_DIR: join(stateDir, 'kafka'),
            FERRETDB_STATE_DIR: join(stateDir, 'ferretdb'),
            SERVERS_STATE_DIR: join(stateDir, 'servers'),
            DEV_STATE_DIR: join(stateDir, 'dev'),
          },
          120_000,
        );

        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
          `${owner}: ERROR: port ${held.port} (${variable}) on 127.0.0.1 is already in use by pid ${process.pid}`,
        );
        for (const line of then) expect(result.stderr).toContain(line);
        // Stopped at that step: no configuration error of a service that started without servers.
        expect(result.output).not.toMatch(/is required but not set|(kafka|ferretdb): starting|dev: [a-z-]+ ready/);
        // Nothing started: no pid file, mark or service log, and no service on its port.
        expect(filesUnder(stateDir)).toEqual([]);
        for (const port of Object.values(free)) expect(await isListening(port)).toBe(false);
      } finally {
        await held.close();
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
