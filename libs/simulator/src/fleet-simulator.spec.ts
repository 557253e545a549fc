import { type GpuSample, validateGpuSample, validateTokenUsageEvent } from '@tokenmeter/contracts';

import { FleetSimulator } from './fleet-simulator';
import { DEFAULT_FLEET_OPTIONS } from './options';

// With a fixed seed every result below is fixed: the loose bounds only say the numbers are sane,
// they cannot flake.
const DAY_START = Date.UTC(2026, 2, 10);
const AT = (hourUtc: number, minute = 0): number => DAY_START + hourUtc * 3_600_000 + minute * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const GPU_UUID = /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The simulator measures every GPU; a sample without utilisation fails every comparison (NaN). */
const utilizationOf = (s: GpuSample): number => s.utilizationPct ?? Number.NaN;

describe('FleetSimulator', () => {
  describe('determinism', () => {
    it('gives identical events and samples for the same seed and the same calls', () => {
      const run = (): unknown[] => {
        const sim = new FleetSimulator({ seed: 42 });
        return [sim.tokenEvents(AT(14), AT(14, 1)), sim.gpuSamples(AT(14), AT(14, 1)), sim.tokenEventAt(AT(14, 2))];
      };
      expect(run()).toEqual(run());
    });

    it('gives different events for a different seed', () => {
      const a = new FleetSimulator({ seed: 1 }).tokenEvents(AT(14), AT(14, 1));
      const b = new FleetSimulator({ seed: 2 }).tokenEvents(AT(14), AT(14, 1));
      const idsOfA = new Set(a.map((e) => e.eventId));
      expect(b.some((e) => idsOfA.has(e.eventId))).toBe(false);
      expect(a.map((e) => e.time)).not.toEqual(b.map((e) => e.time));
    });

    it('draws token events independently of GPU sampling', () => {
      const plain = new FleetSimulator({ seed: 5 });
      const sampled = new FleetSimulator({ seed: 5 });
      sampled.gpuSamples(AT(9), AT(9, 5));
      expect(sampled.tokenEvents(AT(10), AT(10, 1))).toEqual(plain.tokenEvents(AT(10), AT(10, 1)));
    });
  });

  describe('token events', () => {
    const from = AT(15);
    const to = AT(15, 2);
    const sim = new FleetSimulator({ seed: 7, errorRate: 0.05 });
    const events = sim.tokenEvents(from, to);

    it('generates a few thousand events, every one valid against the contract at the window end', () => {
      expect(events.length).toBeGreaterThan(3_000);
      const invalid = events
        .map((e) => ({ e, result: validateTokenUsageEvent(e, { nowMs: to }) }))
        .filter(({ result }) => !result.ok);
      expect(invalid).toEqual([]);
    });

    it('keeps times inside [from, to), in order, as RFC 3339 UTC milliseconds', () => {
      const times = events.map((e) => Date.parse(e.time));
      expect(Math.min(...times)).toBeGreaterThanOrEqual(from);
      expect(Math.max(...times)).toBeLessThan(to);
      expect([...times].sort((x, y) => x - y)).toEqual(times);
      expect(events[0]?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('gives unique UUID-formatted event ids', () => {
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      expect(events.filter((e) => !UUID.test(e.eventId))).toEqual([]);
    });

    it('keeps ttft <= duration and cached <= input tokens', () => {
      expect(events.filter((e) => e.ttftMs !== undefined && e.ttftMs > e.durationMs)).toEqual([]);
      expect(events.filter((e) => (e.cachedInputTokens ?? 0) > e.inputTokens)).toEqual([]);
      expect(events.some((e) => e.cachedInputTokens !== undefined)).toBe(true);
      expect(events.some((e) => e.cachedInputTokens === undefined)).toBe(true);
    });

    it('uses every model, tenant and node of the fleet, with the realistic names', () => {
      expect(new Set(events.map((e) => e.model))).toEqual(new Set(DEFAULT_FLEET_OPTIONS.models.map((m) => m.name)));
      expect(new Set(events.map((e) => e.tenant))).toEqual(new Set(['acme', 'globex', 'initech', 'umbrella']));
      expect(new Set(events.map((e) => e.node))).toEqual(
        new Set(['gpu-node-01', 'gpu-node-02', 'gpu-node-03', 'gpu-node-04']),
      );
      const share = (tenant: string): number => events.filter((e) => e.tenant === tenant).length / events.length;
      expect(share('acme')).toBeGreaterThan(share('umbrella') * 2);
    });

    it('marks about errorRate of the requests as errors, with few output tokens', () => {
      const errors = events.filter((e) => e.status === 'error');
      expect(errors.length / events.length).toBeGreaterThan(0.03);
      expect(errors.length / events.length).toBeLessThan(0.07);
      expect(errors.every((e) => e.outputTokens <= 32 && e.finishReason === 'error')).toBe(true);
      const ok = events.filter((e) => e.status === 'ok');
      expect(new Set(ok.map((e) => e.finishReason))).toEqual(new Set(['stop', 'length']));
    });

    it('makes the 70B model slower per output token than the 8B model', () => {
      const perToken = (model: string): number => {
        const ok = events.filter((e) => e.model === model && e.status === 'ok' && e.outputTokens > 50);
        return ok.reduce((sum, e) => sum + (e.durationMs - (e.ttftMs ?? 0)) / e.outputTokens, 0) / ok.length;
      };
      expect(perToken('meta-llama/Llama-3.1-70B-Instruct')).toBeGreaterThan(
        2 * perToken('meta-llama/Llama-3.1-8B-Instruct'),
      );
    });
  });

  describe('rate and load curve', () => {
    it('generates about eventsPerSecond × window events on a flat curve', () => {
      const sim = new FleetSimulator({ seed: 3, eventsPerSecond: 100, diurnalAmplitude: 0 });
      const count = sim.tokenEvents(AT(3), AT(3, 1)).length;
      expect(count).toBeGreaterThan(5_600);
      expect(count).toBeLessThan(6_400);
    });

    it('is busier in the afternoon than at night (UTC)', () => {
      const sim = new FleetSimulator({ seed: 3, eventsPerSecond: 20 });
      const night = sim.tokenEvents(AT(3), AT(3, 5)).length;
      const afternoon = sim.tokenEvents(AT(15), AT(15, 5)).length;
      expect(afternoon).toBeGreaterThan(2.5 * night);
      expect(sim.diurnalFactor(AT(15))).toBeCloseTo(1.6);
      expect(sim.diurnalFactor(AT(3))).toBeCloseTo(0.4);
    });

    it('has a load curve that averages to 1 over a day, so eventsPerSecond is the daily mean', () => {
      const sim = new FleetSimulator();
      let sum = 0;
      for (let minute = 0; minute < 1_440; minute += 1) sum += sim.diurnalFactor(DAY_START + minute * 60_000);
      expect(sum / 1_440).toBeCloseTo(1, 6);
    });

    it('generates nothing at rate 0 and for an empty window', () => {
      expect(new FleetSimulator({ eventsPerSecond: 0 }).tokenEvents(AT(12), AT(13))).toEqual([]);
      expect(new FleetSimulator().tokenEvents(AT(12), AT(12))).toEqual([]);
    });

    it('gives one event at an exact time with tokenEventAt', () => {
      const event = new FleetSimulator().tokenEventAt(AT(12, 30) + 123);
      expect(event.time).toBe('2026-03-10T12:30:00.123Z');
      expect(validateTokenUsageEvent(event, { nowMs: AT(12, 31) }).ok).toBe(true);
    });
  });

  describe('GPU samples', () => {
    const byGpu = (samples: readonly GpuSample[]): Map<string, GpuSample[]> => {
      const map = new Map<string, GpuSample[]>();
      for (const s of samples) map.set(s.gpuUuid ?? '', [...(map.get(s.gpuUuid ?? '') ?? []), s]);
      return map;
    };

    it('describes a fleet of nodes × GPUs with stable UUIDs', () => {
      const sim = new FleetSimulator({ seed: 9 });
      expect(sim.gpus).toHaveLength(32);
      expect(new Set(sim.gpus.map((g) => g.gpuUuid)).size).toBe(32);
      expect(sim.gpus.every((g) => GPU_UUID.test(g.gpuUuid))).toBe(true);
      expect(new FleetSimulator({ seed: 9 }).gpus).toEqual(sim.gpus);
      expect(sim.gpus.filter((g) => g.node === 'gpu-node-02').map((g) => g.gpuIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it('samples every GPU once per grid point, all valid, with the energy counter growing across windows', () => {
      const sim = new FleetSimulator({ seed: 11, eventsPerSecond: 10 });
      const samples: GpuSample[] = [];
      for (let minute = 0; minute < 10; minute += 1) {
        const from = AT(15, minute);
        const to = AT(15, minute + 1);
        sim.tokenEvents(from, to);
        const window = sim.gpuSamples(from, to);
        expect(window).toHaveLength(32 * 6);
        expect(window.map((s) => validateGpuSample(s, { nowMs: to })).filter((r) => !r.ok)).toEqual([]);
        samples.push(...window);
      }
      for (const series of byGpu(samples).values()) {
        expect(series).toHaveLength(60);
        for (let i = 1; i < series.length; i += 1) {
          const [previous, current] = [series[i - 1] as GpuSample, series[i] as GpuSample];
          expect(current.energyJ).toBeGreaterThan(previous.energyJ ?? Infinity);
          // Energy is the integral of power: between the two readings' powers over the 10 s.
          const joules = (current.energyJ ?? 0) - (previous.energyJ ?? 0);
          expect(joules).toBeGreaterThanOrEqual(Math.min(previous.powerW, current.powerW) * 10 - 0.01);
          expect(joules).toBeLessThanOrEqual(Math.max(previous.powerW, current.powerW) * 10 + 0.01);
        }
      }
      expect(samples.filter((s) => s.powerW < 60 || s.powerW > 700)).toEqual([]);
      expect(samples.every((s) => s.gpuModel === 'NVIDIA H100 80GB HBM3' && s.memoryTotalMiB === 81_559)).toBe(true);
    });

    it('follows the generated load: busier GPUs at the peak than at night, and an idle fleet at rate 0', () => {
      const meanUtil = (sim: FleetSimulator, from: number): number => {
        sim.tokenEvents(from, from + 300_000);
        const samples = sim.gpuSamples(from + 10_000, from + 300_000);
        return samples.reduce((sum, s) => sum + utilizationOf(s), 0) / samples.length;
      };
      const sim = new FleetSimulator({ seed: 13 });
      const night = meanUtil(sim, AT(3));
      const peak = meanUtil(sim, AT(15));
      expect(peak).toBeGreaterThan(night + 10);
      expect(peak).toBeLessThan(100);

      const idle = new FleetSimulator({ seed: 13, eventsPerSecond: 0 });
      const samples = idle.gpuSamples(AT(15), AT(15, 1));
      expect(samples.every((s) => s.utilizationPct === 0 && s.powerW === 60)).toBe(true);
    });

    it('ties utilisation, memory, power and temperature together', () => {
      const sim = new FleetSimulator({ seed: 17 });
      const samples = [...sim.gpuSamples(AT(3), AT(3, 30)), ...sim.gpuSamples(AT(15), AT(15, 30))];
      const busy = samples.filter((s) => utilizationOf(s) >= 60);
      const quiet = samples.filter((s) => utilizationOf(s) <= 30);
      expect(busy.length).toBeGreaterThan(0);
      expect(quiet.length).toBeGreaterThan(0);
      const mean = (xs: readonly GpuSample[], f: (s: GpuSample) => number): number =>
        xs.reduce((sum, s) => sum + f(s), 0) / xs.length;
      expect(mean(busy, (s) => s.powerW)).toBeGreaterThan(mean(quiet, (s) => s.powerW));
      expect(mean(busy, (s) => s.temperatureC)).toBeGreaterThan(mean(quiet, (s) => s.temperatureC));
    });

    it('never re-emits or goes back in time when a window overlaps an earlier one', () => {
      const sim = new FleetSimulator({ seed: 19 });
      const first = sim.gpuSamples(AT(8), AT(8, 1));
      const overlap = sim.gpuSamples(AT(8, 0) + 30_000, AT(8, 2));
      expect(overlap).toHaveLength(32 * 6);
      expect(overlap.every((s) => Date.parse(s.time) >= AT(8, 1))).toBe(true);
      expect(new Set([...first, ...overlap].map((s) => s.eventId)).size).toBe(first.length + overlap.length);
    });
  });

  describe('edge cases', () => {
    it('rejects a window that is not epoch-ms integers in order', () => {
      const sim = new FleetSimulator();
      expect(() => sim.tokenEvents(AT(2), AT(1))).toThrow(RangeError);
      expect(() => sim.gpuSamples(0.5, 10)).toThrow(RangeError);
    });

    it('still serves every request on a fleet too small for the big models', () => {
      const sim = new FleetSimulator({ nodes: 1, gpusPerNode: 1 });
      const events = sim.tokenEvents(AT(12), AT(12, 1));
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.model))).toEqual(new Set(['meta-llama/Llama-3.1-8B-Instruct']));
      expect(sim.gpuSamples(AT(12), AT(12, 1)).every((s) => validateGpuSample(s, { nowMs: AT(12, 1) }).ok)).toBe(true);
    });
  });
});
