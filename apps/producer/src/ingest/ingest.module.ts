import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { KafkaModule } from '../kafka/kafka.module';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';

@Module({
  imports: [KafkaModule],
  controllers: [IngestController],
  providers: [IngestService, Clock],
  exports: [IngestService],
})
export class IngestModule {}
