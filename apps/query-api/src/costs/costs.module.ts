import { Module } from '@nestjs/common';
import { Clock } from '@tokenmeter/telemetry';
import { RollupReader } from '../storage/rollup.reader';
import { BudgetMetrics } from './budget-metrics';
import { CostsController } from './costs.controller';
import { CostService } from './cost.service';

@Module({ controllers: [CostsController], providers: [CostService, BudgetMetrics, RollupReader, Clock] })
export class CostsModule {}
