import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EVENT_ID_PATTERN, type GpuSample, validateGpuSample } from '@tokenmeter/contracts';
import { parsePrometheusText } from '@tokenmeter/telemetry';

import { gpuSamplesFromDcgm, isDcgmBlank, resolveDcgmUnits, type DcgmOptions } from './dcgm';
import { scrapedEventId } from './event-id';

const TIME_MS = Date.UTC(2026, 0, 15, 9, 30, 0);
const SOURCE = 'http://gpu-node-01:9400/metrics';
const H100 = 'NVIDIA H100 80GB HBM3';
const GPU0_UUID = 'GPU-3f6c1a52-8e0b-4c2d-9a71-5b2e7d04c918';
const GPU1_UUID = 'GPU-b81d04e7-2c95-47fa-8d33-0e6a9c51f27b';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

function mapText(text: string, options: Partial<DcgmOptions> = {}): ReturnType<typeof gpuSamplesFromDcgm> {
  const result = gpuSamplesFromDcgm(parsePrometheusText(text), { timeMs: TIME_MS, source: SOURCE, ...options });
  for (const sample of result.samples) {
    expect(validateGpuSample(sample, { nowMs: TIME_MS })).toEqual({ ok: true, value: sample });
  }
  return result;
}

function withoutHelp(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('# HELP'))
    .join('\n');
}

/** The two H100s both DCGM fixtures describe, in gpu.v1 units. */
const EXPECTED_NODE_01: GpuSample[] = [
  {
    eventId: scrapedEventId(SOURCE, ['gpu-node-01', 0, GPU0_UUID], TIME_MS),
    time: '2026-01-15T09:30:00.000Z',
    node: 'gpu-node-01',
    gpuIndex: 0,
    gpuUuid: GPU0_UUID,
    gpuModel: H100,
    utilizationPct: 87,
    memoryUsedMiB: 62_099,
    memoryTotalMiB: 81_036,
    powerW: 512.386,
    temperatureC: 47,
    energyJ: 1_834_719_532.177,
    smClockMHz: 1980,
  },
  {
    eventId: scrapedEventId(SOURCE, ['gpu-node-01', 1, GPU1_UUID], TIME_MS),
    time: '2026-01-15T09:30:00.000Z',
    node: 'gpu-node-01',
    gpuIndex: 1,
    gpuUuid: GPU1_UUID,
    gpuModel: H100,
    utilizationPct: 12,
    memoryUsedMiB: 1823,
    memoryTotalMiB: 81_036,
    powerW: 187.25,
    temperatureC: 39,
    energyJ: 1_622_053_118.844,
    smClockMHz: 1755,
  },
];

describe('gpuSamplesFromDcgm', () => {
  it('maps a legacy exposition (MiB, %, mJ, Hostname) to one sample per GPU', () => {
    expect(mapText(fixture('dcgm-legacy.prom'))).toEqual({ samples: EXPECTED_NODE_01, dropped: [] });
  });

  it('maps the bytes / ratio / joules variant (lower-case hostname) to the same samples', () => {
    expect(mapText(fixture('dcgm-current.prom'))).toEqual({ samples: EXPECTED_NODE_01, dropped: [] });
  });

  it('gives deterministic event ids that change with the source and the time', () => {
    const [first] = mapText(fixture('dcgm-legacy.prom')).samples;
    const [again] = mapText(fixture('dcgm-legacy.prom')).samples;
    const [later] = mapText(fixture('dcgm-legacy.prom'), { timeMs: TIME_MS + 15_000 }).samples;
    const [elsewhere] = mapText(fixture('dcgm-legacy.prom'), { source: 'http://10.0.0.9:9400/metrics' }).samples;
    expect(again?.eventId).toBe(first?.eventId);
    expect(later?.eventId).not.toBe(first?.eventId);
    expect(elsewhere?.eventId).not.toBe(first?.eventId);
    expect(first?.eventId).toMatch(new RegExp(EVENT_ID_PATTERN));
    expect(first?.eventId).toMatch(/^gpu-node-01-[0-9a-f]{40}$/);
  });

  it('drops each faulty reading with its reason and keeps the healthy GPU', () => {
    const { samples, dropped } = mapText(fixture('dcgm-edge-cases.prom'));
    expect(samples).toEqual([
      {
        eventId: scrapedEventId(SOURCE, ['gpu-node-03', 4, 'GPU-4e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a64'], TIME_MS),
        time: '2026-01-15T09:30:00.000Z',
        node: 'gpu-node-03',
        gpuIndex: 4,
        gpuUuid: 'GPU-4e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a64',
        gpuModel: 'NVIDIA A100 "SXM4" 80GB \\ rev B',
        utilizationPct: 93,
        memoryUsedMiB: 70_000,
        memoryTotalMiB: 81_159,
        powerW: 388.4,
        temperatureC: 66,
        energyJ: 582_307_410,
      },
    ]);
    const node = 'gpu-node-03';
    expect(dropped).toEqual([
      { node, gpu: '0', metric: 'DCGM_FI_DEV_GPU_UTIL', reason: 'nan' },
      { node, gpu: '1', metric: 'DCGM_FI_DEV_FB_USED', reason: 'sentinel' },
      { node, gpu: '2', metric: 'DCGM_FI_DEV_FB_FREE', reason: 'missing' },
      { gpu: '3', metric: 'Hostname', reason: 'no_node' },
      { node, gpu: '4', metric: 'DCGM_FI_DEV_SM_CLOCK', reason: 'sentinel' },
      { node, gpu: '5', metric: 'DCGM_FI_DEV_POWER_USAGE', reason: 'nan' },
      { node, gpu: '5', metric: 'DCGM_FI_DEV_GPU_TEMP', reason: 'out_of_range' },
      { node, gpu: '5', metric: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', reason: 'sentinel' },
    ]);
  });

  it('puts series without a host name label on the fallback node', () => {
    const { samples, dropped } = mapText(fixture('dcgm-edge-cases.prom'), { fallbackNode: 'gpu-node-03b' });
    expect(samples.map((sample) => [sample.node, sample.gpuIndex])).toEqual([
      ['gpu-node-03b', 3],
      ['gpu-node-03', 4],
    ]);
    expect(dropped.some((drop) => drop.reason === 'no_node')).toBe(false);
  });

  it('drops a GPU whose index label is missing or not 0-1023', () => {
    const line = (gpu: string): string =>
      ['GPU_UTIL 1', 'FB_USED 1', 'FB_FREE 1', 'POWER_USAGE 1', 'GPU_TEMP 1']
        .map((reading) => reading.replace(' ', `{${gpu}Hostname="h"} `))
        .map((reading) => `DCGM_FI_DEV_${reading}`)
        .join('\n');
    const { samples, dropped } = mapText([line('gpu="1024",'), line('gpu="x",'), line('')].join('\n'));
    expect(samples).toEqual([]);
    expect(dropped).toEqual([
      { node: 'h', gpu: '1024', metric: 'gpu', reason: 'out_of_range' },
      { node: 'h', gpu: 'x', metric: 'gpu', reason: 'out_of_range' },
      { node: 'h', gpu: '', metric: 'gpu', reason: 'missing' },
    ]);
  });

  it('drops a frame buffer whose used + free exceeds the contract', () => {
    const text = [
      '# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).',
      '# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).',
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="h"} 1',
      'DCGM_FI_DEV_FB_USED{gpu="0",Hostname="h"} 6000000',
      'DCGM_FI_DEV_FB_FREE{gpu="0",Hostname="h"} 6000000',
      'DCGM_FI_DEV_POWER_USAGE{gpu="0",Hostname="h"} 1',
      'DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="h"} 1',
    ].join('\n');
    expect(mapText(text).dropped).toEqual([
      { node: 'h', gpu: '0', metric: 'DCGM_FI_DEV_FB_FREE', reason: 'out_of_range' },
    ]);
  });

  describe('dcgm-exporter 4.4 on Kubernetes (dcgm-k8s-reserved.prom)', () => {
    it('adds the reserved frame buffer to the total, reads pod-labelled and time-sliced GPUs once', () => {
      const node = 'gpu-node-07';
      const uuid = ['GPU-9c2e61a4-7b3f-4d18-a5e0-3f1b8c6d2e70', 'GPU-1d7a03b5-c84e-4f2a-9b61-7e05d3c9a8f4'];
      const l40s = 'GPU-e4b8f2c1-0a6d-4c39-8f57-2d1e9b3a6c05';
      expect(mapText(fixture('dcgm-k8s-reserved.prom'))).toEqual({
        samples: [
          {
            eventId: scrapedEventId(SOURCE, [node, 0, uuid[0] ?? ''], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 0,
            gpuUuid: uuid[0],
            gpuModel: H100,
            utilizationPct: 96,
            memoryUsedMiB: 77_953,
            // used 77,953 + free 3,127 + reserved 479: nvidia-smi's memory.total for an H100 80GB.
            memoryTotalMiB: 81_559,
            powerW: 604.117,
            temperatureC: 61,
            energyJ: 912_345_678.901,
            smClockMHz: 1980,
          },
          {
            eventId: scrapedEventId(SOURCE, [node, 1, uuid[1] ?? ''], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 1,
            gpuUuid: uuid[1],
            gpuModel: H100,
            utilizationPct: 23,
            memoryUsedMiB: 19_872,
            memoryTotalMiB: 81_559,
            powerW: 231.502,
            temperatureC: 44,
            energyJ: 655_443_322.11,
            smClockMHz: 1755,
          },
          {
            eventId: scrapedEventId(SOURCE, [node, 2, l40s], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 2,
            gpuUuid: l40s,
            gpuModel: 'NVIDIA L40S',
            utilizationPct: 0,
            memoryUsedMiB: 1,
            // used 1 + free 45,458 + reserved 609: nvidia-smi's memory.total for an L40S.
            memoryTotalMiB: 46_068,
            powerW: 36.87,
            temperatureC: 33,
            // No energy counter for this GPU: the field is left out, nothing is dropped.
            smClockMHz: 210,
          },
        ],
        dropped: [],
      });
    });

    it('without the reserved series, the total is used + free as before', () => {
      const text = fixture('dcgm-k8s-reserved.prom')
        .split('\n')
        .filter((line) => !line.includes('DCGM_FI_DEV_FB_RESERVED'))
        .join('\n');
      expect(mapText(text).samples.map((sample) => sample.memoryTotalMiB)).toEqual([81_080, 81_080, 45_459]);
    });

    it('reads the reserved frame buffer in the unit of the other frame-buffer metrics', () => {
      const text = [
        '# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in bytes).',
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="h"} 50',
        `DCGM_FI_DEV_FB_USED{gpu="0",Hostname="h"} ${1024 * 1024 * 1000}`,
        `DCGM_FI_DEV_FB_FREE{gpu="0",Hostname="h"} ${1024 * 1024 * 3000}`,
        `DCGM_FI_DEV_FB_RESERVED{gpu="0",Hostname="h"} ${1024 * 1024 * 512}`,
        'DCGM_FI_DEV_POWER_USAGE{gpu="0",Hostname="h"} 100',
        'DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="h"} 40',
      ].join('\n');
      expect(mapText(text).samples[0]).toMatchObject({ memoryUsedMiB: 1000, memoryTotalMiB: 4512 });
    });
  });

  describe('MIG (dcgm-mig.prom)', () => {
    const node = 'gpu-node-09';
    const a30 = 'GPU-5b0e9d27-3c61-4a8f-b2d4-81f6e0c7a913';
    const a100 = 'GPU-a3f71c08-6e2b-49d5-8c17-0b94d2e5f6a8';

    it('gives one sample per physical GPU: memory summed over instances, utilisation from graphics activity', () => {
      expect(mapText(fixture('dcgm-mig.prom'))).toEqual({
        samples: [
          {
            eventId: scrapedEventId(SOURCE, [node, 0, a30], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 0,
            gpuUuid: a30,
            gpuModel: 'NVIDIA A30',
            // Four equal 1g slices busy 62 %, 5 %, 91 % and 0 %; not the 0 GPU_UTIL of the instances.
            utilizationPct: 39.5,
            memoryUsedMiB: 9655,
            // 4 x 6,015 MiB, not the first instance's 6,015.
            memoryTotalMiB: 24_060,
            powerW: 118.25,
            temperatureC: 52,
            energyJ: 98_765_432.101,
            smClockMHz: 1440,
          },
          {
            eventId: scrapedEventId(SOURCE, [node, 1, a100], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 1,
            gpuUuid: a100,
            gpuModel: 'NVIDIA A100 80GB PCIe',
            // (0.8 x 3 + 0.5 x 2 + 0.1 x 1) / 6 slices.
            utilizationPct: 58.333333,
            memoryUsedMiB: 31_000,
            memoryTotalMiB: 70_008,
            powerW: 201.5,
            temperatureC: 48,
            energyJ: 510_000_000,
            smClockMHz: 1410,
          },
        ],
        dropped: [],
      });
    });

    it('samples a MIG GPU without utilisation when nothing measures it, keeping every other reading', () => {
      const text = fixture('dcgm-mig.prom')
        .split('\n')
        .filter((line) => !line.includes('DCGM_FI_PROF_GR_ENGINE_ACTIVE'))
        .join('\n');
      expect(mapText(text)).toEqual({
        samples: [
          {
            eventId: scrapedEventId(SOURCE, [node, 0, a30], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 0,
            gpuUuid: a30,
            gpuModel: 'NVIDIA A30',
            memoryUsedMiB: 9655,
            memoryTotalMiB: 24_060,
            powerW: 118.25,
            temperatureC: 52,
            energyJ: 98_765_432.101,
            smClockMHz: 1440,
          },
          {
            eventId: scrapedEventId(SOURCE, [node, 1, a100], TIME_MS),
            time: '2026-01-15T09:30:00.000Z',
            node,
            gpuIndex: 1,
            gpuUuid: a100,
            gpuModel: 'NVIDIA A100 80GB PCIe',
            memoryUsedMiB: 31_000,
            memoryTotalMiB: 70_008,
            powerW: 201.5,
            temperatureC: 48,
            energyJ: 510_000_000,
            smClockMHz: 1410,
          },
        ],
        dropped: [
          { node, gpu: '0', metric: 'DCGM_FI_DEV_GPU_UTIL', reason: 'unsupported' },
          { node, gpu: '1', metric: 'DCGM_FI_DEV_GPU_UTIL', reason: 'unsupported' },
        ],
      });
    });

    it('leaves only the utilisation out when an instance reports a blank graphics activity', () => {
      const text = fixture('dcgm-mig.prom').replace(
        /^(DCGM_FI_PROF_GR_ENGINE_ACTIVE\{gpu="0".*GPU_I_ID="3".*\}) 0\.620000$/m,
        '$1 NaN',
      );
      expect(text).toMatch(/GPU_I_ID="3".*\} NaN$/m);
      const { samples, dropped } = mapText(text);
      expect(samples[0]).not.toHaveProperty('utilizationPct');
      expect(samples[0]).toMatchObject({ gpuIndex: 0, memoryUsedMiB: 9655, memoryTotalMiB: 24_060, powerW: 118.25 });
      expect(samples[1]).toMatchObject({ gpuIndex: 1, utilizationPct: 58.333333 });
      expect(dropped).toEqual([{ node, gpu: '0', metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', reason: 'nan' }]);
    });

    it('still drops a MIG GPU that misses a required reading other than utilisation', () => {
      const text = fixture('dcgm-mig.prom')
        .split('\n')
        .filter(
          (line) => !(line.startsWith('DCGM_FI_DEV_POWER_USAGE{gpu="0"') || line.includes('GR_ENGINE_ACTIVE{gpu="0"')),
        )
        .join('\n');
      const { samples, dropped } = mapText(text);
      expect(samples.map((sample) => sample.gpuIndex)).toEqual([1]);
      expect(dropped).toEqual([
        { node, gpu: '0', metric: 'DCGM_FI_DEV_GPU_UTIL', reason: 'unsupported' },
        { node, gpu: '0', metric: 'DCGM_FI_DEV_POWER_USAGE', reason: 'missing' },
      ]);
    });

    it('prefers a whole-GPU series (no GPU_I_ID) for utilisation and memory', () => {
      const labels = `gpu="0",UUID="${a30}",modelName="NVIDIA A30",Hostname="${node}"`;
      const text = [
        fixture('dcgm-mig.prom'),
        `DCGM_FI_DEV_GPU_UTIL{${labels}} 45`,
        `DCGM_FI_DEV_FB_USED{${labels}} 9700`,
        `DCGM_FI_DEV_FB_FREE{${labels}} 14360`,
        `DCGM_FI_DEV_FB_RESERVED{${labels}} 516`,
      ].join('\n');
      expect(mapText(text).samples[0]).toMatchObject({
        utilizationPct: 45,
        memoryUsedMiB: 9700,
        memoryTotalMiB: 24_576,
        powerW: 118.25,
      });
    });

    it('falls back to graphics activity when the whole-GPU utilisation is a blank', () => {
      const labels = `gpu="0",UUID="${a30}",modelName="NVIDIA A30",Hostname="${node}"`;
      const text = [fixture('dcgm-mig.prom'), `DCGM_FI_DEV_GPU_UTIL{${labels}} 2147483647`].join('\n');
      expect(mapText(text).samples[0]).toMatchObject({ gpuIndex: 0, utilizationPct: 39.5, memoryTotalMiB: 24_060 });
    });

    it('drops the memory of a MIG GPU when one instance has a blank frame buffer', () => {
      const text = fixture('dcgm-mig.prom').replace(
        /^(DCGM_FI_DEV_FB_USED\{gpu="0".*GPU_I_ID="5".*\}) 5120$/m,
        '$1 9223372036854775794',
      );
      expect(text).toContain('9223372036854775794');
      const { samples, dropped } = mapText(text);
      expect(samples.map((sample) => sample.gpuIndex)).toEqual([1]);
      expect(dropped).toEqual([{ node, gpu: '0', metric: 'DCGM_FI_DEV_FB_USED', reason: 'sentinel' }]);
    });
  });

  it('maps the 1.x names of --use-old-namespace (dcgm-old-namespace.prom), uuid label included', () => {
    const node = 'gpu-node-11';
    const v100 = 'Tesla V100-SXM2-32GB';
    const uuid0 = 'GPU-0f3d5a6b-7c8e-4d91-a2b3-c4d5e6f70819';
    const uuid1 = 'GPU-8e7d6c5b-4a39-4281-b7f6-e5d4c3b2a190';
    expect(mapText(fixture('dcgm-old-namespace.prom'))).toEqual({
      samples: [
        {
          eventId: scrapedEventId(SOURCE, [node, 0, uuid0], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node,
          gpuIndex: 0,
          gpuUuid: uuid0,
          gpuModel: v100,
          utilizationPct: 99,
          memoryUsedMiB: 30_492,
          memoryTotalMiB: 32_510,
          powerW: 287.906,
          temperatureC: 67,
          energyJ: 43_210_987.654,
          smClockMHz: 1530,
        },
        {
          eventId: scrapedEventId(SOURCE, [node, 1, uuid1], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node,
          gpuIndex: 1,
          gpuUuid: uuid1,
          gpuModel: v100,
          utilizationPct: 0,
          memoryUsedMiB: 0,
          memoryTotalMiB: 32_510,
          powerW: 41.118,
          temperatureC: 35,
          energyJ: 12_345_678.901,
          smClockMHz: 135,
        },
      ],
      dropped: [],
    });
  });

  it('names the old-namespace metric in drop records', () => {
    const text = fixture('dcgm-old-namespace.prom').replace(/^(dcgm_power_usage\{gpu="1".*\}) 41.118000$/m, '$1 NaN');
    expect(mapText(text).dropped).toEqual([
      { node: 'gpu-node-11', gpu: '1', metric: 'dcgm_power_usage', reason: 'nan' },
    ]);
  });

  it('says a scrape without any GPU series is unusable instead of returning nothing silently', () => {
    const text = ['# HELP node_load1 1m load average.', '# TYPE node_load1 gauge', 'node_load1 0.52'].join('\n');
    expect(mapText(text)).toEqual({
      samples: [],
      dropped: [],
      unusable:
        'no GPU series in 1 samples: neither DCGM_FI_DEV_GPU_UTIL, DCGM_FI_DEV_FB_USED, ... nor the 1.x names (dcgm_gpu_utilization, ...)',
    });
  });

  describe('units', () => {
    it('forced legacy reads bytes as MiB, which the bounds reject', () => {
      const { samples, dropped } = mapText(fixture('dcgm-current.prom'), { units: 'legacy' });
      expect(samples).toEqual([]);
      expect(dropped.map((drop) => `${drop.gpu} ${drop.metric} ${drop.reason}`)).toEqual([
        '0 DCGM_FI_DEV_FB_USED out_of_range',
        '0 DCGM_FI_DEV_FB_FREE out_of_range',
        '1 DCGM_FI_DEV_FB_USED out_of_range',
        '1 DCGM_FI_DEV_FB_FREE out_of_range',
      ]);
    });

    it('forced current reads percent as a ratio, which the bounds reject', () => {
      const { samples, dropped } = mapText(fixture('dcgm-legacy.prom'), { units: 'current' });
      expect(samples).toEqual([]);
      expect(dropped.map((drop) => `${drop.gpu} ${drop.metric} ${drop.reason}`)).toEqual([
        '0 DCGM_FI_DEV_GPU_UTIL out_of_range',
        '1 DCGM_FI_DEV_GPU_UTIL out_of_range',
      ]);
    });

    it('without HELP lines, detects bytes by magnitude and otherwise assumes legacy units', () => {
      expect(mapText(withoutHelp(fixture('dcgm-legacy.prom'))).samples).toEqual(EXPECTED_NODE_01);
      // Only the frame buffer can be told apart by size: the ratio and the joules are misread.
      const [gpu0] = mapText(withoutHelp(fixture('dcgm-current.prom'))).samples;
      expect(gpu0).toMatchObject({ memoryUsedMiB: 62_099, utilizationPct: 0.87, energyJ: 1_834_719.532177 });
    });

    it.each([
      ['Framebuffer memory used (in MiB).', 'MiB'],
      ['Frame buffer memory used (in MB).', 'MiB'],
      ['Framebuffer memory used (in bytes).', 'bytes'],
      ['Framebuffer memory used, bytes', 'bytes'],
      ['Framebuffer memory used.', 'MiB'],
    ])('reads the frame buffer unit from HELP %j', (help, unit) => {
      const units = resolveDcgmUnits(parsePrometheusText(`# HELP DCGM_FI_DEV_FB_FREE ${help}\n`));
      expect([units.memoryUsed, units.memoryFree]).toEqual([unit, unit]);
    });

    it.each([
      ['GPU utilization (in %).', 'percent'],
      ['GPU utilization in percent', 'percent'],
      ['GPU utilization (ratio, 0.0-1.0).', 'ratio'],
      ['Fraction of time the GPU was busy (0-1)', 'ratio'],
      ['GPU utilization.', 'percent'],
    ])('reads the utilisation unit from HELP %j', (help, unit) => {
      expect(resolveDcgmUnits(parsePrometheusText(`# HELP DCGM_FI_DEV_GPU_UTIL ${help}\n`)).utilization).toBe(unit);
    });

    it.each([
      ['Total energy consumption since boot (in mJ).', 'mJ'],
      ['Total energy in millijoules', 'mJ'],
      ['Total energy consumption since boot (in J).', 'J'],
      ['Total energy consumed, joules', 'J'],
      ['Total energy consumption since boot.', 'mJ'],
    ])('reads the energy unit from HELP %j', (help, unit) => {
      const exposition = parsePrometheusText(`# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION ${help}\n`);
      expect(resolveDcgmUnits(exposition).energy).toBe(unit);
    });
  });
});

describe('isDcgmBlank', () => {
  it.each([
    [2_147_483_632, true],
    [2_147_483_647, true],
    [140_737_488_355_328, true],
    [Number('9223372036854775794'), true], // DCGM_INT64_NOT_SUPPORTED, rounded to 2^63
    [2_147_483_631, false],
    [2_147_483_648, false], // e.g. energy in mJ: an H100 passes 2^31 mJ in under an hour
    [100_000_000_000_000, false],
  ])('%d -> %s', (value, blank) => {
    expect(isDcgmBlank(value)).toBe(blank);
  });
});
