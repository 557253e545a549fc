import {
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { HealthModule } from '../health/health.module';
import { ReadinessRegistry } from '../health/readiness';
import { shutdownGracefully } from './shutdown';

const order: string[] = [];

@Injectable()
class FakeStore implements OnApplicationShutdown {
  onApplicationShutdown(): void {
    order.push('close-store');
  }
}

@Injectable()
class FakeProducer implements BeforeApplicationShutdown {
  beforeApplicationShutdown(): void {
    order.push('flush-producer');
  }
}

@Injectable()
class FakeConsumer implements OnModuleDestroy {
  constructor(private readonly readiness: ReadinessRegistry) {}

  async onModuleDestroy(): Promise<void> {
    order.push(`stop-consumer (draining=${this.readiness.isDraining()})`);
    await Promise.resolve();
    order.push('commit-in-flight');
  }
}

// Registered store-first, so the order cannot come from registration order.
@Module({ imports: [HealthModule], providers: [FakeStore, FakeProducer, FakeConsumer] })
class AppUnderTest {}

describe('shutdownGracefully', () => {
  it('drains readiness, stops intake, flushes producers, then closes stores', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppUnderTest] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.listen(0, '127.0.0.1');
    const logs: string[] = [];
    const exits: number[] = [];
    await shutdownGracefully(app, {
      timeoutMs: 10_000,
      logger: { log: (m: string) => logs.push(m), error: (m: string) => logs.push(m), warn: () => undefined },
      exit: (code) => exits.push(code),
    });
    expect(order).toEqual(['stop-consumer (draining=true)', 'commit-in-flight', 'flush-producer', 'close-store']);
    expect(app.getHttpServer().listening).toBe(false);
    expect(exits).toEqual([]);
    expect(logs).toContain('shutdown complete');
  });
});
