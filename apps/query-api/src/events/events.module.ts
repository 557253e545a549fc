import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { RawEventReader } from '../storage/raw-event.reader';
import { EventsController } from './events.controller';

@Module({ controllers: [EventsController], providers: [RawEventReader, Clock] })
export class EventsModule {}
