import { DEFAULT_FLEET_OPTIONS } from './options';
import { placeReplicas } from './placement';

const layout = (replicas: ReturnType<typeof placeReplicas>, node: string): [string, number, number][] =>
  replicas.filter((r) => r.node === node).map((r) => [r.model.name, r.firstGpu, r.gpuCount]);

describe('placeReplicas', () => {
  const replicas = placeReplicas(DEFAULT_FLEET_OPTIONS);

  it('fills each node with replicas in model order, a model that does not fit giving way to the next', () => {
    expect(layout(replicas, 'gpu-node-01')).toEqual([
      ['meta-llama/Llama-3.1-8B-Instruct', 0, 1],
      ['meta-llama/Llama-3.1-70B-Instruct', 1, 4],
      ['mistralai/Mixtral-8x7B-Instruct-v0.1', 5, 2],
      // Qwen needs 2 GPUs, 1 is left: the next model that fits takes it.
      ['meta-llama/Llama-3.1-8B-Instruct', 7, 1],
    ]);
    expect(layout(replicas, 'gpu-node-02')).toEqual([
      ['meta-llama/Llama-3.1-70B-Instruct', 0, 4],
      ['mistralai/Mixtral-8x7B-Instruct-v0.1', 4, 2],
      ['Qwen/Qwen2.5-32B-Instruct', 6, 2],
    ]);
  });

  it("gives each replica its model's traffic weight, split among the model's replicas", () => {
    expect(replicas.reduce((sum, r) => sum + r.share, 0)).toBeCloseTo(1, 12);
    const eightB = replicas.filter((r) => r.model.name === 'meta-llama/Llama-3.1-8B-Instruct');
    expect(eightB).toHaveLength(4);
    for (const r of eightB) expect(r.share).toBeCloseTo(0.45 / 4, 12);
  });

  it('gives all traffic to the models that fit on a fleet too small for the others', () => {
    const small = placeReplicas({ ...DEFAULT_FLEET_OPTIONS, nodes: 1, gpusPerNode: 1 });
    expect(small.map((r) => [r.model.name, r.share])).toEqual([['meta-llama/Llama-3.1-8B-Instruct', 1]]);
  });
});
