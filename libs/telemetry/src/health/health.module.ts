import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { LivenessRegistry } from './liveness';
import { ReadinessRegistry } from './readiness';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ReadinessRegistry, LivenessRegistry],
  exports: [ReadinessRegistry, LivenessRegistry],
})
export class HealthModule {}
