import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { IngestModule } from '../ingest/ingest.module';
import { OtlpController } from './otlp.controller';
import { OtlpService } from './otlp.service';

/** OTLP/HTTP ingest (traces and metrics with GenAI usage), publishing through IngestService. */
@Module({
  imports: [IngestModule],
  controllers: [OtlpController],
  providers: [OtlpService, Clock],
})
export class OtlpModule {}
