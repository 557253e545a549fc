import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { ProducerConfig } from '../config';
import { IngestModule } from '../ingest/ingest.module';
import { SOURCES, SourceRunner } from './source-runner';
import { CommandRunner, ScrapeClient } from './source-io';
import { createSources } from './sources';

@Module({
  imports: [IngestModule],
  providers: [
    ScrapeClient,
    CommandRunner,
    Clock,
    {
      provide: SOURCES,
      useFactory: (config: ProducerConfig, client: ScrapeClient, runner: CommandRunner) =>
        createSources(config.sources, client, runner),
      inject: [ProducerConfig, ScrapeClient, CommandRunner],
    },
    SourceRunner,
  ],
  exports: [SourceRunner],
})
export class SourcesModule {}
