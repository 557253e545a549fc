import { Controller, Get, HttpException, Res } from '@nestjs/common';
import { type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { withTimeout } from '../kafka/kafka-client';
import { ReadinessRegistry } from './readiness';

const PROBE_TIMEOUT_MS = 3_000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
  ) {}

  /** The process is up and its event loop turns. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Every dependency answers: 200 with terminus' result, else 503 with the same shape
   * (probes and operators read `error.<name>.message` to see why).
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult | Record<string, unknown>> {
    if (this.registry.isDraining()) {
      void reply.status(503);
      return { status: 'error', info: {}, error: { shutdown: { status: 'down', message: 'draining for shutdown' } } };
    }
    try {
      return await this.health.check(
        this.registry.entries().map(([name, probe]) => async () => {
          const session = this.indicators.check(name);
          try {
            const data = await withTimeout(
              probe(),
              PROBE_TIMEOUT_MS,
              `${name} did not answer within ${PROBE_TIMEOUT_MS} ms`,
            );
            return session.up(data ?? {});
          } catch (error) {
            return session.down({ message: error instanceof Error ? error.message : String(error) });
          }
        }),
      );
    } catch (error) {
      if (error instanceof HttpException) {
        void reply.status(error.getStatus());
        return error.getResponse() as Record<string, unknown>;
      }
      throw error;
    }
  }
}
