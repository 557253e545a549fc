import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validateGpuSample } from '@tokenmeter/contracts';

import { scrapedEventId } from './event-id';
import { gpuSamplesFromNvidiaSmi, NVIDIA_SMI_ARGS, NVIDIA_SMI_SOURCE } from './nvidia-smi';

const TIME_MS = Date.UTC(2026, 0, 15, 9, 30, 0);
const NODE = 'gpu-node-05';

function map(csv: string, node = NODE): ReturnType<typeof gpuSamplesFromNvidiaSmi> {
  const result = gpuSamplesFromNvidiaSmi(csv, { timeMs: TIME_MS, node });
  for (const sample of result.samples) {
    expect(validateGpuSample(sample, { nowMs: TIME_MS })).toEqual({ ok: true, value: sample });
  }
  return result;
}

describe('gpuSamplesFromNvidiaSmi', () => {
  it('asks nvidia-smi for documented query-gpu fields as unit-less CSV', () => {
    expect(NVIDIA_SMI_ARGS).toEqual([
      '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu,clocks.current.sm,mig.mode.current',
      '--format=csv,noheader,nounits',
    ]);
  });

  it('maps each CSV row to a sample; [N/A] power drops the GPU, an unsupported clock is left out', () => {
    const csv = readFileSync(join(__dirname, 'fixtures', 'nvidia-smi.csv'), 'utf8');
    const uuid0 = 'GPU-7c1e4a90-3b2d-4f65-8e17-a0d9c2b5e384';
    const uuid2 = 'GPU-58a03e7d-c1b9-42f6-9d84-3e27b60f1ac9';
    expect(map(csv)).toEqual({
      samples: [
        {
          eventId: scrapedEventId(NVIDIA_SMI_SOURCE, [NODE, 0, uuid0], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node: NODE,
          gpuIndex: 0,
          gpuUuid: uuid0,
          gpuModel: 'NVIDIA H100 80GB HBM3',
          utilizationPct: 91,
          memoryUsedMiB: 70_315,
          memoryTotalMiB: 81_559,
          powerW: 655.21,
          temperatureC: 63,
          smClockMHz: 1980,
        },
        {
          eventId: scrapedEventId(NVIDIA_SMI_SOURCE, [NODE, 2, uuid2], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node: NODE,
          gpuIndex: 2,
          gpuUuid: uuid2,
          gpuModel: 'NVIDIA L40S',
          utilizationPct: 37,
          memoryUsedMiB: 12_288,
          memoryTotalMiB: 46_068,
          powerW: 171.84,
          temperatureC: 51,
        },
      ],
      dropped: [{ node: NODE, gpu: '1', metric: 'power.draw', reason: 'missing' }],
    });
  });

  it('samples a MIG GPU whole without utilisation (nvidia-smi has none for it), counted as unsupported', () => {
    const csv = readFileSync(join(__dirname, 'fixtures', 'nvidia-smi-mig.csv'), 'utf8');
    const uuid0 = 'GPU-5b0e9d27-3c61-4a8f-b2d4-81f6e0c7a913';
    const uuid1 = 'GPU-c6e2d9a1-48b7-4f03-9e5c-2a7d1b8f0e64';
    const uuid2 = 'GPU-a3f71c08-6e2b-49d5-8c17-0b94d2e5f6a8';
    expect(map(csv)).toEqual({
      samples: [
        {
          eventId: scrapedEventId(NVIDIA_SMI_SOURCE, [NODE, 0, uuid0], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node: NODE,
          gpuIndex: 0,
          gpuUuid: uuid0,
          gpuModel: 'NVIDIA A30',
          memoryUsedMiB: 9655,
          memoryTotalMiB: 24_576,
          powerW: 118.25,
          temperatureC: 52,
          smClockMHz: 1440,
        },
        {
          eventId: scrapedEventId(NVIDIA_SMI_SOURCE, [NODE, 1, uuid1], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node: NODE,
          gpuIndex: 1,
          gpuUuid: uuid1,
          gpuModel: 'NVIDIA H100 80GB HBM3',
          utilizationPct: 37,
          memoryUsedMiB: 20_480,
          memoryTotalMiB: 81_559,
          powerW: 402.1,
          temperatureC: 55,
          smClockMHz: 1980,
        },
        {
          eventId: scrapedEventId(NVIDIA_SMI_SOURCE, [NODE, 2, uuid2], TIME_MS),
          time: '2026-01-15T09:30:00.000Z',
          node: NODE,
          gpuIndex: 2,
          gpuUuid: uuid2,
          gpuModel: 'NVIDIA A100 80GB PCIe',
          memoryUsedMiB: 31_000,
          memoryTotalMiB: 81_920,
          powerW: 201.5,
          temperatureC: 48,
          smClockMHz: 1410,
        },
      ],
      dropped: [
        { node: NODE, gpu: '0', metric: 'utilization.gpu', reason: 'unsupported' },
        { node: NODE, gpu: '2', metric: 'utilization.gpu', reason: 'unsupported' },
      ],
    });
  });

  it('still drops a GPU without MIG whose utilisation is missing, as missing', () => {
    expect(map('0, GPU-1, A, [N/A], 10, 80000, 100, 40, 1000, Disabled')).toEqual({
      samples: [],
      dropped: [{ node: NODE, gpu: '0', metric: 'utilization.gpu', reason: 'missing' }],
    });
    expect(map('0, GPU-1, A, [N/A], 10, 80000, 100, 40, 1000, [N/A]').samples).toEqual([]);
  });

  it('uses a MIG GPU utilisation when nvidia-smi gives one, and still drops a MIG GPU missing power', () => {
    expect(map('0, GPU-1, A, 42, 10, 80000, 100, 40, 1000, Enabled').samples).toEqual([
      expect.objectContaining({ gpuIndex: 0, utilizationPct: 42 }),
    ]);
    expect(map('0, GPU-1, A, [N/A], 10, 80000, [N/A], 40, 1000, Enabled')).toEqual({
      samples: [],
      dropped: [
        { node: NODE, gpu: '0', metric: 'utilization.gpu', reason: 'unsupported' },
        { node: NODE, gpu: '0', metric: 'power.draw', reason: 'missing' },
      ],
    });
  });

  it('tolerates CRLF, a header line, units, blank cells and a product name with a comma', () => {
    const csv = [
      'index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], power.draw [W], temperature.gpu, clocks.current.sm [MHz], mig.mode.current',
      '0, GPU-1, NVIDIA RTX 6000 Ada, Generation, 12 %, 100 MiB, 49140 MiB, 61.5 W, 40, 210 MHz, [N/A]',
      '1, GPU-2, NVIDIA A10, 5, 10, 23028, , 33, 1695, [N/A]',
      '',
    ].join('\r\n');
    const { samples, dropped } = map(csv);
    expect(samples).toEqual([
      expect.objectContaining({
        gpuIndex: 0,
        gpuModel: 'NVIDIA RTX 6000 Ada, Generation',
        utilizationPct: 12,
        memoryUsedMiB: 100,
        powerW: 61.5,
        smClockMHz: 210,
      }),
    ]);
    expect(dropped).toEqual([{ node: NODE, gpu: '1', metric: 'power.draw', reason: 'missing' }]);
  });

  it('drops impossible readings and unreadable rows instead of throwing', () => {
    const csv = [
      '0, GPU-1, A, 50, 90000, 80000, 100, 40, 1000, Disabled',
      '1, GPU-2, A, 150, 10, 80000, 100, 40, 1000, Disabled',
      '2, GPU-3, A, 50',
      '2048, GPU-4, A, 50, 10, 80000, 100, 40, 1000, Disabled',
    ].join('\n');
    expect(map(csv).dropped).toEqual([
      { node: NODE, gpu: '0', metric: 'memory.used', reason: 'out_of_range' },
      { node: NODE, gpu: '1', metric: 'utilization.gpu', reason: 'out_of_range' },
      { node: NODE, gpu: '2', metric: 'line 3', reason: 'missing' },
      { node: NODE, gpu: '2048', metric: 'index', reason: 'out_of_range' },
    ]);
  });

  it('drops every row when the node name is unusable', () => {
    expect(map('0, GPU-1, A, 50, 10, 80000, 100, 40, 1000, Disabled', '')).toEqual({
      samples: [],
      dropped: [{ gpu: '0', metric: 'node', reason: 'no_node' }],
    });
  });
});
