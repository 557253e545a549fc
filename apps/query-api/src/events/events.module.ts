import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { RawEventReader } from '../storage/raw-event.reader';
import { rawListingProvider } from '../storage/raw-listing.provider';
import { EventsController } from './events.controller';

@Module({ controllers: [EventsController], providers: [RawEventReader, rawListingProvider, Clock] })
export class EventsModule {}
