export * from './profiles';
export * from './options';
export type { SimulatedGpu } from './gpu-readings';
export * from './fleet-simulator';
