// Liveness checks: `/health/live` answers 503 only when a registered check finds the process
// stuck, i.e. when a restart would help (a batch that makes no progress while its dependencies
// answer). Waiting for a dependency that is down is not stuck: restarting would not bring it back.
import { Injectable } from '@nestjs/common';

export type LivenessVerdict = { live: true; detail?: Record<string, unknown> } | { live: false; reason: string };

export type LivenessCheck = () => Promise<LivenessVerdict>;

@Injectable()
export class LivenessRegistry {
  private readonly checks = new Map<string, LivenessCheck>();

  register(name: string, check: LivenessCheck): void {
    this.checks.set(name, check);
  }

  entries(): [string, LivenessCheck][] {
    return [...this.checks.entries()];
  }
}
