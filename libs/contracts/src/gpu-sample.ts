/** `gpu.v1`: one reading of one GPU, from DCGM, nvidia-smi or the simulator (SPEC §3). */
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Static } from '@sinclair/typebox';

import { createContractValidator } from './contract-validator';
import type { PlainObject } from './contract-validator';
import { boundedNumberField, eventIdField, gpuIndexField, textField, timeField } from './fields';
import { ROOT_PATH, childPath } from './json-path';
import type { FieldError, ValidationOptions, ValidationResult } from './validation-result';

/** 10 TiB: far above any GPU's frame buffer, low enough to catch byte/MiB unit mix-ups. */
export const MAX_GPU_MEMORY_MIB = 10_000_000;

export const GpuSampleSchema = Type.Object(
  {
    eventId: eventIdField(),
    time: timeField('When the GPU was sampled.'),
    node: textField('Host name of the machine the GPU is in.'),
    gpuIndex: gpuIndexField('Index of the GPU on the node (nvidia-smi / DCGM "gpu" label), 0-1023.'),
    gpuUuid: Type.Optional(textField('Stable GPU identifier, e.g. "GPU-5fd4c6a1-...".')),
    gpuModel: Type.Optional(textField('GPU product name, e.g. "NVIDIA H100 80GB HBM3".')),
    utilizationPct: Type.Optional(
      boundedNumberField(
        'GPU utilisation in percent, 0-100 (DCGM_FI_DEV_GPU_UTIL). Absent = not measured, e.g. a MIG GPU on nvidia-smi: ' +
          'unknown, never 0; the rollups average it over the samples that carry it.',
        0,
        100,
      ),
    ),
    memoryUsedMiB: boundedNumberField(
      'Frame-buffer memory in use, MiB, 0-10,000,000 (DCGM_FI_DEV_FB_USED). Not expressible here: must be <= memoryTotalMiB.',
      0,
      MAX_GPU_MEMORY_MIB,
    ),
    memoryTotalMiB: boundedNumberField(
      'Total frame-buffer memory, MiB, 0-10,000,000 (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE).',
      0,
      MAX_GPU_MEMORY_MIB,
    ),
    powerW: boundedNumberField('Power draw in watts, 0-10,000 (DCGM_FI_DEV_POWER_USAGE).', 0, 10_000),
    temperatureC: boundedNumberField(
      'GPU temperature in degrees Celsius, -40 to 150 (DCGM_FI_DEV_GPU_TEMP).',
      -40,
      150,
    ),
    energyJ: Type.Optional(
      boundedNumberField(
        'Energy consumed since the driver loaded, joules, a cumulative counter >= 0 (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION is in mJ).',
        0,
      ),
    ),
    smClockMHz: Type.Optional(
      boundedNumberField('Streaming-multiprocessor clock, MHz, 0-100,000 (DCGM_FI_DEV_SM_CLOCK).', 0, 100_000),
    ),
    tenant: Type.Optional(textField('Tenant the GPU is dedicated to, when it is; no default.')),
  },
  {
    title: 'GpuSample',
    description:
      'One reading of one GPU (Kafka header schema: gpu.v1). Rules JSON Schema cannot express, enforced by the ' +
      'tokenmeter validators: time must be a real calendar date no more than 5 minutes in the future of the receiver ' +
      'and no older than the raw retention (7 days by default); memoryUsedMiB <= memoryTotalMiB.',
    additionalProperties: false,
  },
);

export type GpuSample = Static<typeof GpuSampleSchema>;

const MEMORY_USED_PATH = childPath(ROOT_PATH, 'memoryUsedMiB');
// The cross-field rule only judges values that passed their own field check (one problem, one error).
const isValidMemoryMiB = TypeCompiler.Compile(GpuSampleSchema.properties.memoryTotalMiB);

function gpuCrossFieldRules(input: PlainObject, errors: FieldError[]): void {
  const usedMiB = input['memoryUsedMiB'];
  const totalMiB = input['memoryTotalMiB'];
  if (isValidMemoryMiB.Check(usedMiB) && isValidMemoryMiB.Check(totalMiB) && usedMiB > totalMiB) {
    errors.push({ path: MEMORY_USED_PATH, message: `must be <= memoryTotalMiB (${usedMiB} > ${totalMiB})` });
  }
}

const validateGpu = createContractValidator<typeof GpuSampleSchema, GpuSample>({
  schema: GpuSampleSchema,
  crossFieldRules: gpuCrossFieldRules,
});

export function validateGpuSample(input: unknown, opts?: ValidationOptions): ValidationResult<GpuSample> {
  return validateGpu(input, opts);
}
