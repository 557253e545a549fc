/**
 * Where the models run. Each node's GPUs are filled with model replicas in the order of
 * `models`, each replica taking `tensorParallel` adjacent GPUs (a model that no longer fits on
 * the node is skipped for the next one that does). A request picks its model by `trafficWeight`,
 * then one of that model's replicas, so each replica's `share` of all requests is its model's
 * weight over the served models' weights, split among the model's replicas. A model without any
 * replica (a fleet too small for it) gets no traffic.
 */
import type { FleetSimulatorOptions } from './options';
import type { ModelProfile } from './profiles';

export interface Replica {
  readonly node: string;
  readonly firstGpu: number;
  readonly gpuCount: number;
  readonly model: ModelProfile;
  /** Expected share of all requests. */
  readonly share: number;
}

/** The replicas of the fleet, node by node, GPU by GPU. */
export function placeReplicas(options: Pick<FleetSimulatorOptions, 'nodes' | 'gpusPerNode' | 'models'>): Replica[] {
  const { nodes, gpusPerNode, models } = options;
  const placed: Omit<Replica, 'share'>[] = [];
  let modelCursor = 0;
  for (let n = 0; n < nodes; n += 1) {
    const node = `gpu-node-${String(n + 1).padStart(2, '0')}`;
    for (let firstGpu = 0; firstGpu < gpusPerNode;) {
      const free = gpusPerNode - firstGpu;
      // The next model in order that fits; if none does, the next one on the GPUs that are left.
      let pick = models.findIndex((_, i) => (models[(modelCursor + i) % models.length]?.tensorParallel ?? 0) <= free);
      if (pick < 0) pick = 0;
      const model = models[(modelCursor + pick) % models.length] as ModelProfile;
      modelCursor = (modelCursor + pick + 1) % models.length;
      const gpuCount = Math.min(model.tensorParallel, free);
      placed.push({ node, firstGpu, gpuCount, model });
      firstGpu += gpuCount;
    }
  }
  const replicasPerModel = new Map<ModelProfile, number>();
  for (const r of placed) replicasPerModel.set(r.model, (replicasPerModel.get(r.model) ?? 0) + 1);
  const servedWeight = [...replicasPerModel.keys()].reduce((sum, m) => sum + m.trafficWeight, 0);
  return placed.map((r) => ({
    ...r,
    share: r.model.trafficWeight / servedWeight / (replicasPerModel.get(r.model) ?? 1),
  }));
}
