// The producer's built-in sources end to end: dcgm-exporter and vLLM exposition text (the
// project's fixtures) served over HTTP by a local test server, and an nvidia-smi stand-in on
// disk, scraped by the real producer, stored by the processor, read back from the query API.
// Then the fleet simulator alone, as `make dev` runs it: numbers in the query API within a minute.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { runId, serverEnv } from '../support/env';
import { expectEventually } from '../support/eventually';
import { rawDocuments } from '../support/mongo-test-utils';
import { portBlock, type RunningService, startService, stopService } from '../support/services';

const FIXTURES = path.resolve(__dirname, '..', '..', 'apps', 'producer', 'src', 'sources', 'scrape', 'fixtures');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

const id = runId();
const { kafkaBrokers, mongoUrl } = serverEnv();
const logRoot = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `e2e-sources-${id}`);

function pipelineEnv(name: string) {
  return {
    KAFKA_BROKERS: kafkaBrokers,
    MONGO_URL: mongoUrl,
    MONGO_DB: `tm_e2e_${name}_${id}`,
    KAFKA_TOPIC_TOKENS: `e2e-${id}.${name}.tokens`,
    KAFKA_TOPIC_GPU: `e2e-${id}.${name}.gpu`,
    KAFKA_TOPIC_DLQ: `e2e-${id}.${name}.dlq`,
    KAFKA_TOPIC_PARTITIONS: '3',
    PROCESSOR_GROUP_PREFIX: `e2e-${id}-${name}`,
    LOG_LEVEL: 'info',
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

interface TotalsRow {
  key: { model: string };
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

interface InventoryItem {
  node: string;
  gpuIndex: number;
  gpuUuid?: string;
  latest: Record<string, unknown> | null;
}

const services: RunningService[] = [];
const databases: string[] = [];

afterAll(async () => {
  await Promise.all(services.map(stopService));
  const mongo = new MongoClient(mongoUrl);
  for (const db of databases) {
    await mongo
      .db(db)
      .dropDatabase()
      .catch(() => undefined);
  }
  await mongo.close();
});

describe('scraped sources (dcgm-exporter, vLLM, nvidia-smi)', () => {
  const env = pipelineEnv('scrape');
  const tenant = `vllm-${id}`;
  let server: Server;
  let queryUrl = '';
  let producerUrl = '';
  const served = { dcgm: 0, vllm: 0 };
  // vLLM answers with its three fixture scrapes in order, then the last one for ever.
  const vllmScrapes = ['vllm-1.prom', 'vllm-2.prom', 'vllm-3-reset.prom'].map(fixture);

  beforeAll(async () => {
    databases.push(env.MONGO_DB);
    server = createServer((req, res) => {
      let body: string | undefined;
      if (req.url === '/dcgm/metrics') {
        served.dcgm += 1;
        body = fixture('dcgm-legacy.prom');
      } else if (req.url === '/vllm/metrics') {
        body = vllmScrapes[Math.min(served.vllm, vllmScrapes.length - 1)];
        served.vllm += 1;
      }
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const exporter = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // nvidia-smi stand-in: prints the fixture CSV, as `nvidia-smi --query-gpu=... --format=csv,...` would.
    const binDir = mkdtempSync(path.join(tmpdir(), 'tm-nvidia-smi-'));
    const smi = path.join(binDir, 'nvidia-smi');
    writeFileSync(smi, `#!/bin/sh\ncat '${path.join(FIXTURES, 'nvidia-smi.csv')}'\n`);
    chmodSync(smi, 0o755);

    const ports = portBlock();
    const logDir = path.join(logRoot, 'scrape');
    services.push(await startService('processor', ports.processor, env, logDir));
    const queryApi = await startService('query-api', ports.queryApi, env, logDir);
    services.push(queryApi);
    const producer = await startService(
      'producer',
      ports.producer,
      {
        ...env,
        DCGM_TARGETS: `${exporter}/dcgm/metrics`,
        DCGM_SCRAPE_INTERVAL_MS: '1000',
        VLLM_TARGETS: `vllm-node-1=${exporter}/vllm/metrics`,
        VLLM_SCRAPE_INTERVAL_MS: '1000',
        VLLM_TENANT: tenant,
        NVIDIA_SMI_ENABLED: 'true',
        NVIDIA_SMI_PATH: smi,
        NVIDIA_SMI_INTERVAL_MS: '1000',
        NODE_NAME: 'smi-node-1',
      },
      logDir,
    );
    services.push(producer);
    queryUrl = queryApi.baseUrl;
    producerUrl = producer.baseUrl;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('turns vLLM counter deltas (one reset included) into exact token totals per model', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    // Llama: 1→2 adds 4,200 / 2,310 tokens and 10 requests; 3 is a restart: its 1,536 / 777 / 3 are the delta.
    // Qwen appears in scrape 2 (its baseline); 2→3 adds 2,560 / 1,024 tokens and 2 requests.
    const expected = [
      { model: 'Qwen/Qwen2.5-7B-Instruct', requests: 2, inputTokens: 2_560, outputTokens: 1_024 },
      { model: 'meta-llama/Llama-3.1-8B-Instruct', requests: 13, inputTokens: 5_736, outputTokens: 3_087 },
    ];
    await expectEventually(
      async () => {
        const to = new Date(Date.now() + 120_000).toISOString();
        const params = new URLSearchParams({ from, to, groupBy: 'model', tenant });
        const body = await getJson<{ rows: TotalsRow[] }>(`${queryUrl}/v1/tokens/totals?${params.toString()}`);
        const rows = body.rows
          .map((r) => ({
            model: r.key.model,
            requests: r.requests,
            inputTokens: r.inputTokens,
            outputTokens: r.outputTokens,
          }))
          .sort((a, b) => (a.model < b.model ? -1 : 1));
        expect(rows).toEqual(expected);
      },
      { timeoutMs: 60_000, description: 'vLLM totals in the query API' },
    );
    expect(served.vllm).toBeGreaterThanOrEqual(3);

    // Three intervals stored, once each, however many more scrapes found nothing new.
    const mongo = new MongoClient(mongoUrl);
    try {
      const intervals = await rawDocuments(mongo.db(env.MONGO_DB), 'token_intervals', (i) => i['tenant'] === tenant);
      expect(intervals).toHaveLength(3);
      expect(intervals.every((i) => i['node'] === 'vllm-node-1' && i['source'] === 'vllm')).toBe(true);
    } finally {
      await mongo.close();
    }

    // And as raw intervals through the query API, in the contract's shape.
    const listed = await getJson<{ items: { eventId: string; model: string; requests: number; intervalMs: number }[] }>(
      `${queryUrl}/v1/events/token-intervals?${new URLSearchParams({ from, to: new Date(Date.now() + 120_000).toISOString(), tenant }).toString()}`,
    );
    expect(listed.items.map((i) => i.requests).sort((a, b) => a - b)).toEqual([2, 3, 10]);
    expect(listed.items.every((i) => i.intervalMs >= 1_000 && /^[A-Za-z0-9._:-]+$/.test(i.eventId))).toBe(true);

    // The latency histograms arrive too: percentiles over the scraped intervals.
    const to = new Date(Date.now() + 120_000).toISOString();
    const params = new URLSearchParams({ from, to, step: '1h', tenant });
    const series = await getJson<{ series: { points: { ttftMs: { p50: number | null } }[] }[] }>(
      `${queryUrl}/v1/tokens/series?${params.toString()}`,
    );
    const p50s = series.series.flatMap((s) => s.points.map((p) => p.ttftMs.p50)).filter((v) => v !== null);
    expect(p50s.length).toBeGreaterThan(0);
  });

  it('stores one GpuSample per GPU per DCGM scrape and per nvidia-smi run, in contract units', async () => {
    const inventory = await expectEventually(
      async () => {
        const body = await getJson<{ items: InventoryItem[] }>(`${queryUrl}/v1/gpus`);
        const keys = body.items.map((i) => `${i.node}/${i.gpuIndex}`).sort();
        // smi GPU 1 reports power "[N/A]": a required reading is missing, so it is left out.
        expect(keys).toEqual(['gpu-node-01/0', 'gpu-node-01/1', 'smi-node-1/0', 'smi-node-1/2']);
        return body.items;
      },
      { timeoutMs: 60_000, description: 'DCGM and nvidia-smi GPUs in the inventory' },
    );
    const dcgm0 = inventory.find((i) => i.node === 'gpu-node-01' && i.gpuIndex === 0);
    expect(dcgm0?.gpuUuid).toBe('GPU-3f6c1a52-8e0b-4c2d-9a71-5b2e7d04c918');
    // Legacy dcgm-exporter units: MiB, percent, W, mJ (stored as J).
    expect(dcgm0?.latest).toMatchObject({
      utilizationPct: 87,
      memoryUsedMiB: 62_099,
      memoryTotalMiB: 62_099 + 18_937,
      powerW: 512.386,
      temperatureC: 47,
      smClockMHz: 1_980,
    });
    expect(dcgm0?.latest?.['energyJ']).toBeCloseTo(1_834_719_532.177, 3);
    const smi0 = inventory.find((i) => i.node === 'smi-node-1' && i.gpuIndex === 0);
    expect(smi0?.latest).toMatchObject({ utilizationPct: 91, memoryUsedMiB: 70_315, memoryTotalMiB: 81_559 });
  });

  it('reports every source in readiness and counts the readings it dropped', async () => {
    const ready = await getJson<{ info: { sources: Record<string, unknown> } }>(`${producerUrl}/health/ready`);
    // terminus adds its own `status: "up"` next to the sources, keyed by name.
    const { status, ...sources } = ready.info.sources;
    expect(status).toBe('up');
    const states = Object.values(sources as Record<string, { type: string; state: string }>).map(
      (s) => `${s.type}:${s.state}`,
    );
    expect(states.sort()).toEqual(['dcgm:ok', 'nvidia-smi:ok', 'vllm:ok']);
    const metrics = await (await fetch(`${producerUrl}/metrics`)).text();
    expect(metrics).toMatch(/tokenmeter_source_dropped_readings_total\{source="nvidia-smi",reason="missing"\} [1-9]/);
    expect(metrics).toMatch(/tokenmeter_source_counter_resets_total\{source="vllm"\} 1\b/);
  });
});

describe('fleet simulator (the make dev demo)', () => {
  const env = pipelineEnv('sim');

  it('shows token totals and GPUs in the query API within a minute of starting', async () => {
    databases.push(env.MONGO_DB);
    const ports = portBlock();
    const logDir = path.join(logRoot, 'sim');
    services.push(await startService('processor', ports.processor, env, logDir));
    const queryApi = await startService('query-api', ports.queryApi, env, logDir);
    services.push(queryApi);
    services.push(
      await startService(
        'producer',
        ports.producer,
        {
          ...env,
          SIMULATOR_ENABLED: 'true',
          SIMULATOR_EVENTS_PER_SECOND: '20',
          SIMULATOR_GPU_SAMPLE_INTERVAL_MS: '5000',
        },
        logDir,
      ),
    );
    await expectEventually(
      async () => {
        const totals = await getJson<{ rows: TotalsRow[] }>(`${queryApi.baseUrl}/v1/tokens/totals?groupBy=model`);
        expect(totals.rows.reduce((n, r) => n + r.requests, 0)).toBeGreaterThan(0);
        const gpus = await getJson<{ items: InventoryItem[] }>(`${queryApi.baseUrl}/v1/gpus`);
        // 4 nodes × 8 GPUs by default.
        expect(gpus.items).toHaveLength(32);
      },
      { timeoutMs: 60_000, intervalMs: 1_000, description: 'simulated numbers in the query API' },
    );
  });
});
