// Readiness checks registered by the infrastructure an app uses (Kafka, MongoDB, sources),
// evaluated by /health/ready. Liveness never depends on them: a dependency outage must
// take a pod out of rotation, not restart it.
import { Injectable } from '@nestjs/common';

export type ReadinessProbe = () => Promise<Record<string, unknown> | void>;

@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();
  private draining = false;

  register(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  entries(): [string, ReadinessProbe][] {
    return [...this.probes.entries()];
  }

  /** Called first on shutdown so load balancers stop routing here before intake stops. */
  markDraining(): void {
    this.draining = true;
  }

  isDraining(): boolean {
    return this.draining;
  }
}
