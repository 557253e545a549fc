/**
 * Micro-benchmark of the contract validators (not a test). The processor budget is ~50k events/s
 * on 2 cores (SPEC §6), so validation should cost well under 10 µs per event on one core.
 *
 *   node -r @swc-node/register libs/contracts/bench/validate.bench.ts
 *
 * Prints events/s for valid and invalid events, with and without JSON.parse (the processor parses
 * every Kafka value before validating it).
 */
import { cpus } from 'node:os';

import fc from 'fast-check';

import { validateGpuSample, validateTokenUsageEvent } from '../src';
import type { ValidationOptions, ValidationResult } from '../src';
import {
  buildGpuSample,
  buildTokenUsageEvent,
  gpuSampleArbitrary,
  invalidEventArbitrary,
  tokenUsageEventArbitrary,
} from '../src/testing';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS: ValidationOptions = { nowMs: NOW_MS };
const SAMPLE_SIZE = 5_000;
const RUN_MS = 1_500;
const SEED = 42;

type Validator = (input: unknown, opts?: ValidationOptions) => ValidationResult<unknown>;

interface Scenario {
  name: string;
  validate: Validator;
  inputs: unknown[];
  expectValid: boolean;
}

/** Runs `validate` over the inputs round-robin for RUN_MS and returns events per second. */
function measure(validate: Validator, inputs: readonly unknown[], parse: boolean): number {
  const payloads = inputs.map((input) => JSON.stringify(input));
  let count = 0;
  let sink = 0; // consumed so the JIT cannot drop the calls
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < RUN_MS) {
    for (let i = 0; i < payloads.length; i += 1) {
      const input: unknown = parse ? JSON.parse(payloads[i] ?? 'null') : inputs[i];
      if (validate(input, OPTS).ok) sink += 1;
    }
    count += payloads.length;
    elapsed = performance.now() - started;
  }
  if (sink < 0) console.log(sink);
  return (count / elapsed) * 1000;
}

function main(): void {
  const window = { nowMs: NOW_MS };
  const scenarios: Scenario[] = [
    {
      // What a vLLM-fed producer typically sends: short names, a couple of attributes (~300 bytes).
      name: 'tokens.v1 valid, typical',
      validate: validateTokenUsageEvent,
      inputs: Array.from({ length: SAMPLE_SIZE }, (_, i) =>
        buildTokenUsageEvent(
          { inputTokens: i, outputTokens: i % 977, attributes: { region: 'eu_west_1', route: '/v1/chat/completions' } },
          { nowMs: NOW_MS - (i % 3_600) * 1000 },
        ),
      ),
      expectValid: true,
    },
    {
      // Arbitrary valid events: long unicode strings, up to 16 attributes (~540 bytes on average).
      name: 'tokens.v1 valid, arbitrary',
      validate: validateTokenUsageEvent,
      inputs: fc.sample(tokenUsageEventArbitrary(window), { numRuns: SAMPLE_SIZE, seed: SEED }),
      expectValid: true,
    },
    {
      name: 'tokens.v1 invalid (1 mutation)',
      validate: validateTokenUsageEvent,
      inputs: fc
        .sample(invalidEventArbitrary('tokens.v1', window), { numRuns: SAMPLE_SIZE, seed: SEED })
        .map((m) => m.input),
      expectValid: false,
    },
    {
      name: 'gpu.v1 valid, typical',
      validate: validateGpuSample,
      inputs: Array.from({ length: SAMPLE_SIZE }, (_, i) =>
        buildGpuSample(
          { gpuIndex: i % 8, utilizationPct: i % 101, powerW: 100 + (i % 600) },
          { nowMs: NOW_MS - (i % 3_600) * 1000 },
        ),
      ),
      expectValid: true,
    },
    {
      name: 'gpu.v1 valid, arbitrary',
      validate: validateGpuSample,
      inputs: fc.sample(gpuSampleArbitrary(window), { numRuns: SAMPLE_SIZE, seed: SEED }),
      expectValid: true,
    },
    {
      name: 'gpu.v1 invalid (1 mutation)',
      validate: validateGpuSample,
      inputs: fc
        .sample(invalidEventArbitrary('gpu.v1', window), { numRuns: SAMPLE_SIZE, seed: SEED })
        .map((m) => m.input),
      expectValid: false,
    },
  ];

  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, single thread, ${SAMPLE_SIZE} distinct events per scenario`,
  );
  console.log(`${'scenario'.padEnd(32)} ${'validate only'.padStart(16)} ${'JSON.parse + validate'.padStart(24)}`);
  for (const scenario of scenarios) {
    const wrong = scenario.inputs.filter((input) => scenario.validate(input, OPTS).ok !== scenario.expectValid).length;
    if (wrong > 0) throw new Error(`${scenario.name}: ${wrong} inputs did not validate as expected`);
    measure(scenario.validate, scenario.inputs, false); // warm-up: let the JIT settle
    const validateOnly = measure(scenario.validate, scenario.inputs, false);
    const withParse = measure(scenario.validate, scenario.inputs, true);
    console.log(
      `${scenario.name.padEnd(32)} ${`${Math.round(validateOnly).toLocaleString('en-US')} ev/s`.padStart(16)} ${`${Math.round(withParse).toLocaleString('en-US')} ev/s`.padStart(24)}`,
    );
  }
}

main();
