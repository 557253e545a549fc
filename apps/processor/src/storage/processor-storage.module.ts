import { type DynamicModule, Module } from '@nestjs/common';
import { RawEventRepository } from './raw-event.repository';
import { RetentionRepository } from './retention.repository';
import { RollupRepository } from './rollup.repository';
import { SeriesRegistryRepository } from './series-registry.repository';

/** The processor's repositories over the app's MongoConnection (libs/storage MongoModule). */
@Module({})
export class ProcessorStorageModule {
  static register(core: DynamicModule): DynamicModule {
    const repositories = [RawEventRepository, RollupRepository, SeriesRegistryRepository, RetentionRepository];
    return { module: ProcessorStorageModule, imports: [core], providers: repositories, exports: repositories };
  }
}
