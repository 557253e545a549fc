import { type DynamicModule, Module } from '@nestjs/common';
import { DlqPublisher } from './dlq-publisher';

/** Dead letters: the publisher the ingestion uses (the `npm run dlq` CLI runs without Nest). */
@Module({})
export class DlqModule {
  static register(core: DynamicModule): DynamicModule {
    return { module: DlqModule, imports: [core], providers: [DlqPublisher], exports: [DlqPublisher] };
  }
}
