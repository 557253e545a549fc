import { FleetSimulator } from './fleet-simulator';
import { checkFleetOptions, DEFAULT_FLEET_OPTIONS, FleetSimulatorOptionsError } from './options';

describe('fleet simulator options', () => {
  it('accepts the defaults', () => {
    expect(checkFleetOptions(DEFAULT_FLEET_OPTIONS)).toEqual([]);
  });

  it('names every bad option, and the simulator refuses to start with them', () => {
    const bad = { ...DEFAULT_FLEET_OPTIONS, nodes: 0, errorRate: 2, tenants: [], gpuSampleIntervalMs: 1.5 };
    expect(checkFleetOptions(bad).join('; ')).toMatch(/nodes.*errorRate.*gpuSampleIntervalMs.*tenants/);
    const build = (): FleetSimulator => new FleetSimulator(bad);
    expect(build).toThrow(FleetSimulatorOptionsError);
    expect(build).toThrow(/nodes.*errorRate.*gpuSampleIntervalMs.*tenants/);
  });

  it('checks every model, tenant and the GPU profile', () => {
    const problems = checkFleetOptions({
      ...DEFAULT_FLEET_OPTIONS,
      models: DEFAULT_FLEET_OPTIONS.models.slice(0, 1).map((m) => ({ ...m, tensorParallel: 0 })),
      tenants: [{ name: '', weight: -1 }],
      gpu: { ...DEFAULT_FLEET_OPTIONS.gpu, tdpW: 10 },
    });
    expect(problems).toEqual([
      'meta-llama/Llama-3.1-8B-Instruct: tensorParallel must be an integer >= 1',
      'tenant name must be 1-256 characters (got "")',
      ': weight must be > 0',
      'gpu power needs 0 <= idleW <= tdpW <= 10,000',
    ]);
  });
});
