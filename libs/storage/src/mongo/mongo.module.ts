// Infrastructure module owning the app's MongoDB connection: opened at boot (a failure
// stops the app with the reason), registered as a readiness check, closed last on shutdown.
import { type DynamicModule, Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ReadinessRegistry } from '@tokenmeter/telemetry';
import type { StorageSettings } from '../dialect/storage-settings';
import { MongoConnection } from './mongo-connection';

@Injectable()
class MongoLifecycle implements OnApplicationShutdown {
  constructor(private readonly connection: MongoConnection) {}

  /** onApplicationShutdown is the "close stores" phase: nothing writes any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

@Global()
@Module({})
export class MongoModule {
  static forRoot(settings: StorageSettings): DynamicModule {
    return {
      module: MongoModule,
      providers: [
        {
          provide: MongoConnection,
          inject: [ReadinessRegistry],
          useFactory: async (readiness: ReadinessRegistry) => {
            const connection = await MongoConnection.open(settings);
            readiness.register('mongodb', () => connection.ping());
            return connection;
          },
        },
        MongoLifecycle,
      ],
      exports: [MongoConnection],
    };
  }
}
