import { type DynamicModule, Module } from '@nestjs/common';
import { RetentionScheduler } from './retention.scheduler';

/** Retention: a scheduler that deletes expired documents through the repositories. */
@Module({})
export class RetentionModule {
  static register(core: DynamicModule, storage: DynamicModule): DynamicModule {
    return { module: RetentionModule, imports: [core, storage], providers: [RetentionScheduler] };
  }
}
