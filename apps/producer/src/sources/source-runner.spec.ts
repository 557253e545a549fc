import { buildGpuSample } from '@tokenmeter/contracts/testing/factories';
import { DomainError, ReadinessRegistry } from '@tokenmeter/telemetry';
import { FixedClock } from '@tokenmeter/telemetry/testing';
import { ProducerConfig } from '../config';
import type { BodyItem } from '../ingest/ingest-body';
import type { EventKind, IngestResult, IngestService } from '../ingest/ingest.service';
import { SourceRunner } from './source-runner';
import { type Collected, type Source, SourceUnavailableError } from './sources';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

class FakeIngest {
  readonly published: { kind: EventKind; ids: string[] }[] = [];
  unavailable = false;

  ingest(kind: EventKind, items: BodyItem[]): Promise<IngestResult> {
    if (this.unavailable)
      return Promise.reject(new DomainError('ingest.kafka-unavailable', 'Kafka cannot take the events now'));
    const ids = items.map((i) => (i.ok ? (i.value as { eventId: string }).eventId : ''));
    this.published.push({ kind, ids });
    return Promise.resolve({ accepted: items.length, rejected: [] });
  }
}

class ScriptedSource implements Source {
  readonly type = 'dcgm';
  readonly name = 'dcgm http://exporter:9400/metrics';
  readonly intervalMs = 15_000;
  next: (tickMs: number) => Collected = (tickMs) => ({
    batches: [{ kind: 'gpu', events: [buildGpuSample({ eventId: `s-${tickMs}` }, { nowMs: tickMs + 1_000 })] }],
    dropped: { sentinel: 1 },
    resets: 0,
    problems: [],
  });

  collect(tickMs: number): Promise<Collected> {
    try {
      return Promise.resolve(this.next(tickMs));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function setup(env: Record<string, string> = {}) {
  const config = ProducerConfig.fromEnv({ KAFKA_BROKERS: '127.0.0.1:9092', ...env });
  const ingest = new FakeIngest();
  const source = new ScriptedSource();
  const readiness = new ReadinessRegistry();
  const runner = new SourceRunner(config, ingest as unknown as IngestService, new FixedClock(NOW), readiness, [source]);
  return { runner, ingest, source, readiness };
}

describe('SourceRunner', () => {
  it('publishes what a tick collects and reports the source healthy', async () => {
    const { runner, ingest, readiness } = setup();
    await runner.tickAll(NOW);
    expect(ingest.published).toEqual([{ kind: 'gpu', ids: [`s-${NOW}`] }]);
    const probe = new Map(readiness.entries()).get('sources');
    await expect(probe?.()).resolves.toEqual({
      'dcgm http://exporter:9400/metrics': {
        type: 'dcgm',
        state: 'ok',
        intervalMs: 15_000,
        lastSuccess: '2026-11-25T12:00:00.000Z',
        pendingEvents: 0,
      },
    });
  });

  it('keeps events while Kafka is unavailable and publishes them first when it is back', async () => {
    const { runner, ingest } = setup();
    ingest.unavailable = true;
    await runner.tickAll(NOW);
    await runner.tickAll(NOW + 15_000);
    expect(runner.statuses()['dcgm http://exporter:9400/metrics']?.pendingEvents).toBe(2);
    ingest.unavailable = false;
    await runner.tickAll(NOW + 30_000);
    expect(ingest.published.map((p) => p.ids)).toEqual([[`s-${NOW}`], [`s-${NOW + 15_000}`], [`s-${NOW + 30_000}`]]);
    expect(runner.statuses()['dcgm http://exporter:9400/metrics']?.pendingEvents).toBe(0);
  });

  it('drops the oldest queued events beyond the retry bound', async () => {
    const { runner, ingest } = setup({ SOURCE_MAX_PENDING_EVENTS: '1' });
    ingest.unavailable = true;
    await runner.tickAll(NOW);
    await runner.tickAll(NOW + 15_000);
    ingest.unavailable = false;
    await runner.tickAll(NOW + 30_000);
    expect(ingest.published.map((p) => p.ids)).toEqual([[`s-${NOW + 15_000}`], [`s-${NOW + 30_000}`]]);
  });

  it('reports a failing or unavailable source without failing readiness, and recovers', async () => {
    const { runner, source, readiness } = setup();
    source.next = () => {
      throw new SourceUnavailableError('nvidia-smi is not installed on this host');
    };
    await runner.tickAll(NOW);
    const probe = new Map(readiness.entries()).get('sources');
    await expect(probe?.()).resolves.toMatchObject({
      'dcgm http://exporter:9400/metrics': {
        state: 'unavailable',
        lastError: 'nvidia-smi is not installed on this host',
      },
    });
    source.next = () => {
      throw new Error('GET http://exporter:9400/metrics answered 500');
    };
    await runner.tickAll(NOW + 15_000);
    expect(runner.statuses()['dcgm http://exporter:9400/metrics']?.state).toBe('failing');
    source.next = new ScriptedSource().next;
    await runner.tickAll(NOW + 30_000);
    expect(runner.statuses()['dcgm http://exporter:9400/metrics']).toMatchObject({ state: 'ok' });
    expect(runner.statuses()['dcgm http://exporter:9400/metrics']?.lastError).toBeUndefined();
  });
});
