import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { RollupReader } from '../storage/rollup.reader';
import { SeriesController } from './series.controller';
import { SeriesService } from './series.service';

@Module({ controllers: [SeriesController], providers: [SeriesService, RollupReader, Clock] })
export class SeriesModule {}
