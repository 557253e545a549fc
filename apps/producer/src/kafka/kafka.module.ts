import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { EventPublisher } from './event-publisher';

@Module({ providers: [EventPublisher, Clock], exports: [EventPublisher] })
export class KafkaModule {}
