// The processor's event handlers: each topic's batches, through the KafkaBatchServer transport,
// into the BatchProcessor. Resolving means every write of the batch is acknowledged (the transport
// commits then); throwing means nothing is committed and the batch is tried again.
import { Catch, Controller, type RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EventTopicKind } from '@tokenmeter/contracts';
import { type Observable, throwError } from 'rxjs';
import { ProcessorMetrics } from '../processor-metrics';
import { BatchProcessor, type ConsumedBatch } from './batch-processor';
import { KafkaBatchContext } from './kafka-batch.transport';

/**
 * Hands a handler's error to the transport as it is. Nest's default RPC filter would log it and
 * replace it with "Internal server error"; the transport logs each failed attempt with its reason
 * and readiness names it.
 */
@Catch()
class RethrowToTransport implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

@Controller()
@UseFilters(new RethrowToTransport())
export class IngestionController {
  constructor(
    private readonly processor: BatchProcessor,
    private readonly metrics: ProcessorMetrics,
  ) {}

  @EventPattern('tokens' satisfies EventTopicKind)
  tokens(@Payload() batch: ConsumedBatch, @Ctx() context: unknown): Promise<void> {
    return this.handle(batch, context);
  }

  @EventPattern('gpu' satisfies EventTopicKind)
  gpu(@Payload() batch: ConsumedBatch, @Ctx() context: unknown): Promise<void> {
    return this.handle(batch, context);
  }

  // Nest types a handler's extra arguments as unknown; only KafkaBatchServer calls these.
  private async handle(batch: ConsumedBatch, context: unknown): Promise<void> {
    if (!(context instanceof KafkaBatchContext)) throw new TypeError('ingestion handlers run on KafkaBatchServer only');
    const { topic } = batch;
    const end = this.metrics.batchDuration.startTimer({ topic });
    this.metrics.batchSize.observe({ topic }, batch.messages.length);
    await this.processor.process(context.kind, batch);
    end();
    // Lag after this batch: messages in the partition beyond the last one handled.
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined) {
      const lag = Number(BigInt(context.highWatermark) - BigInt(last.offset) - 1n);
      this.metrics.consumerLag.set({ topic, partition: String(batch.partition) }, Math.max(0, lag));
    }
  }
}
